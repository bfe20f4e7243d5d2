/** The results files that benchmarks and use-case scripts write under results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../core/config.ts';

/** Writes a benchmark's results file with the command, machine and model that made it. */
export function writeResults(out: string, fields: { command: string; model: string } & Record<string, unknown>): void {
  mkdirSync(path.dirname(out), { recursive: true });
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' };
  const { command, model, ...rest } = fields;
  writeFileSync(out, `${JSON.stringify({ command, machine, model, ...rest }, null, 2)}\n`);
  process.stderr.write(`wrote ${path.relative(projectRoot, out)}\n`);
}
