/**
 * `npm run negotiator:compare -- --model <episodes.jsonl> --baseline <episodes.jsonl> [--baseline …]
 *    [--mode off] [--out results/<file>.json]`
 *
 * Does a model land closer to eq. (1)'s optimum than a trivial baseline (docs/NEGOTIATOR.md)? Episodes
 * of the same held-out scenarios are paired by scenario id, in one optimizer mode, over the scenarios
 * where both agreed; the mean difference in error to the optimum (model − baseline, Mbps, negative:
 * the model is closer) gets a percentile-bootstrap 95 % interval (10,000 resamples, seeded). Each
 * baseline's own agreement count is reported beside it, since a baseline that never agrees (random
 * answers) pairs with nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mean, round } from '../bench/lib/games.ts';
import { lcg } from '../bench/lib/random.ts';
import { optimizerModeSchema, type OptimizerMode } from '../core/negotiation/schemas.ts';
import type { Episode } from './episode.ts';
import { readEpisodes } from './select.ts';

export interface PairedComparison {
  baseline: string;
  episodes: number;
  baselineAgreed: number;
  modelAgreed: number;
  /** Scenarios where both agreed. */
  paired: number;
  meanDifferenceMbps: number | null;
  ci95: [number, number] | null;
  modelCloser: number;
  modelFarther: number;
}

/** Error to the optimum per scenario id, for the episodes in `mode` (null where no consensus). */
function errorsById(episodes: readonly Episode[], mode: OptimizerMode): Map<string, number | null> {
  return new Map(
    episodes
      .filter((e) => e.scenario.request.optimizerMode === mode)
      .map((e) => [e.scenario.id, e.reward.consensus ? (e.reward.mediator.errorToOptimum ?? 0) : null]),
  );
}

/** Percentile-bootstrap 95 % interval of the mean of `values`. */
export function bootstrapMean95(values: readonly number[], resamples = 10_000, seed = 1): [number, number] {
  const next = lcg(seed);
  const means = Array.from({ length: resamples }, () => {
    let total = 0;
    for (let i = 0; i < values.length; i++) total += values[Math.floor(next() * values.length)]!;
    return total / values.length;
  }).sort((a, b) => a - b);
  return [means[Math.floor(0.025 * resamples)]!, means[Math.ceil(0.975 * resamples) - 1]!];
}

export function comparePaired(
  model: readonly Episode[],
  baseline: readonly Episode[],
  mode: OptimizerMode,
  name: string,
): PairedComparison {
  const ours = errorsById(model, mode);
  const theirs = errorsById(baseline, mode);
  const differences: number[] = [];
  for (const [id, error] of ours) {
    const other = theirs.get(id);
    if (error !== null && other !== undefined && other !== null) differences.push(error - other);
  }
  const ci = differences.length > 0 ? bootstrapMean95(differences) : null;
  return {
    baseline: name,
    episodes: theirs.size,
    baselineAgreed: [...theirs.values()].filter((e) => e !== null).length,
    modelAgreed: [...ours.values()].filter((e) => e !== null).length,
    paired: differences.length,
    meanDifferenceMbps: differences.length > 0 ? round(mean(differences), 2) : null,
    ci95: ci ? [round(ci[0], 2), round(ci[1], 2)] : null,
    modelCloser: differences.filter((d) => d < -1e-9).length,
    modelFarther: differences.filter((d) => d > 1e-9).length,
  };
}

if (import.meta.main) {
  const { values: args } = parseArgs({
    options: {
      model: { type: 'string' },
      baseline: { type: 'string', multiple: true },
      mode: { type: 'string', default: 'off' },
      out: { type: 'string' },
    },
  });
  if (!args.model || !args.baseline?.length) {
    throw new Error('usage: negotiator:compare --model FILE.jsonl --baseline FILE.jsonl [--baseline …] [--mode off]');
  }
  const mode = optimizerModeSchema.parse(args.mode);
  const model = readEpisodes(args.model);
  const rows = args.baseline.map((file) => comparePaired(model, readEpisodes(file), mode, path.basename(file)));
  for (const row of rows) {
    const diff =
      row.meanDifferenceMbps === null
        ? 'nothing to pair'
        : `${row.meanDifferenceMbps} Mbps (95 % CI ${row.ci95![0]} to ${row.ci95![1]}), closer in ${row.modelCloser}, farther in ${row.modelFarther}`;
    process.stdout.write(
      `${row.baseline}: agreed ${row.baselineAgreed}/${row.episodes}; model ${row.modelAgreed}; paired ${row.paired}: ${diff}\n`,
    );
  }
  if (args.out) {
    mkdirSync(path.dirname(args.out), { recursive: true });
    const command = `npm run negotiator:compare -- ${process.argv.slice(2).join(' ')}`;
    writeFileSync(args.out, JSON.stringify({ command, model: args.model, mode, comparisons: rows }, null, 2) + '\n');
  }
}
