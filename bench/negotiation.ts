/**
 * `npm run bench:negotiation [-- --n 10 --parties 2 --modes off,soft,hard]`
 *
 * Runs N negotiations per optimizer mode on the real stack (its own Temporal dev server, the
 * negotiation worker in this process, the local model server) and reports, per mode: median and
 * p95 wall time per negotiation, rounds, the share of wall time the model server was busy versus
 * orchestration (Temporal round trips, activity scheduling, the units' own code), consensus rate
 * and |consensus − optimum|. Writes results/negotiation-bench.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../core/config.ts';
import type { ChatModel } from '../core/llm/chat-model.ts';
import type { OptimizerMode } from '../core/negotiation/schemas.ts';
import type { NegotiationState } from '../core/negotiation/types.ts';
import { httpOk, startModelServer, stopService, waitUntil } from '../scripts/services.ts';
import {
  cellTopic,
  config,
  negotiationInput,
  negotiationWorker,
  realChatModel,
  startTemporal,
} from '../scripts/lib/stack.ts';
import type { negotiationWorkflow } from '../workflows/negotiation/workflow.ts';
import { lcg, variedParties } from './lib/games.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '10' },
    parties: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'off,soft,hard' },
    'max-rounds': { type: 'string', default: '5' },
    tolerance: { type: 'string', default: '2' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'negotiation-bench.json') },
  },
});
const n = Number(args.n);
const partyCount = Number(args.parties);
const modes = args.modes.split(',') as OptimizerMode[];

/** Records when the model server was busy, as the union of call intervals (parallel calls overlap). */
class BusyClock {
  private intervals: [number, number][] = [];
  wrap(model: ChatModel): ChatModel {
    return {
      name: model.name,
      completeJson: async (request, signal) => {
        const start = performance.now();
        try {
          return await model.completeJson(request, signal);
        } finally {
          this.intervals.push([start, performance.now()]);
        }
      },
    };
  }
  busyMsAndReset(): number {
    const sorted = [...this.intervals].sort((a, b) => a[0] - b[0]);
    this.intervals = [];
    let total = 0;
    let [curStart, curEnd] = sorted[0] ?? [0, 0];
    for (const [s, e] of sorted.slice(1)) {
      if (s > curEnd) {
        total += curEnd - curStart;
        [curStart, curEnd] = [s, e];
      } else curEnd = Math.max(curEnd, e);
    }
    return total + (curEnd - curStart);
  }
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const idx = (sorted.length - 1) * q;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (idx - lo);
};
const mean = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);
const r = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

interface RunRecord {
  mode: OptimizerMode;
  status: string;
  rounds: number;
  wallMs: number;
  llmBusyMs: number;
  llmCalls: number;
  /** The LLM unit's attempts: above llmCalls when an answer was shown its problem and asked again. */
  llmAttempts: number;
  consensus: number | null;
  optimum: number;
  absErrorMbps: number;
}

const modelPort = Number(process.env.MAESTRO_BENCH_MODEL_PORT ?? 18_002);
process.env.MODEL_SERVER_PORT = String(modelPort);
const model = startModelServer(modelPort);
const env = await startTemporal();
const runs: RunRecord[] = [];
try {
  await waitUntil('the model server', httpOk(`http://127.0.0.1:${modelPort}/v1/models`), 120_000, model);
  const clock = new BusyClock();
  const chatModel = clock.wrap(realChatModel());
  const taskQueue = 'negotiation-bench';
  const worker = await negotiationWorker(env, taskQueue, chatModel);
  await worker.runUntil(async () => {
    for (const mode of modes) {
      const rand = lcg(Number(args.seed)); // same starting intents for every mode
      for (let i = 0; i < n; i++) {
        const request = {
          topic: cellTopic,
          parties: variedParties(partyCount, rand),
          maxRounds: Number(args['max-rounds']),
          tolerance: Number(args.tolerance),
          optimizerMode: mode,
        };
        clock.busyMsAndReset();
        const started = performance.now();
        const state: NegotiationState = await env.client.workflow.execute<typeof negotiationWorkflow>(
          'negotiationWorkflow',
          {
            taskQueue,
            workflowId: `negotiation-bench-${mode}-${i}-${Date.now()}`,
            args: [negotiationInput(request)],
          },
        );
        const wallMs = performance.now() - started;
        const llmBusyMs = clock.busyMsAndReset();
        const agreed = state.consensus?.value ?? null;
        const outcome = agreed ?? mean(Object.values(state.lastValues));
        const record: RunRecord = {
          mode,
          status: state.status,
          rounds: state.rounds.length,
          wallMs,
          llmBusyMs,
          llmCalls: state.rounds.reduce((s, x) => s + x.llm.calls, 0),
          llmAttempts: state.rounds.reduce((s, x) => s + x.llm.attempts, 0),
          consensus: agreed,
          optimum: state.optimum.value,
          absErrorMbps: Math.abs(outcome - state.optimum.value),
        };
        runs.push(record);
        console.log(
          `[${mode} ${i + 1}/${n}] ${state.status} in ${record.rounds} round(s), ${r(wallMs / 1000)} s (model busy ${r(llmBusyMs / 1000)} s), ` +
            `outcome ${r(outcome)} vs optimum ${r(state.optimum.value)} Mbps` +
            (record.llmAttempts > record.llmCalls ? `, ${record.llmAttempts - record.llmCalls} retried answer(s)` : ''),
        );
      }
    }
  });
} finally {
  await env.teardown();
  await stopService(model);
}

const summary = modes.map((mode) => {
  const rs = runs.filter((x) => x.mode === mode);
  const agreed = rs.filter((x) => x.status === 'consensus');
  const wall = rs.map((x) => x.wallMs / 1000);
  const totalWall = rs.reduce((s, x) => s + x.wallMs, 0);
  const totalBusy = rs.reduce((s, x) => s + x.llmBusyMs, 0);
  return {
    mode,
    negotiations: rs.length,
    consensusRate: r(agreed.length / rs.length),
    wallSeconds: { median: r(quantile(wall, 0.5)), p95: r(quantile(wall, 0.95)), mean: r(mean(wall)) },
    rounds: { mean: r(mean(rs.map((x) => x.rounds))), max: Math.max(...rs.map((x) => x.rounds)) },
    llmCallsMean: r(mean(rs.map((x) => x.llmCalls))),
    llmAttemptsMean: r(mean(rs.map((x) => x.llmAttempts))),
    modelBusyShare: r(totalBusy / totalWall, 3),
    orchestrationShare: r(1 - totalBusy / totalWall, 3),
    orchestrationMsPerNegotiation: r((totalWall - totalBusy) / rs.length, 0),
    absErrorMbps: {
      consensusOnly: {
        mean: r(mean(agreed.map((x) => x.absErrorMbps))),
        max: r(Math.max(...agreed.map((x) => x.absErrorMbps), 0)),
      },
      allRuns: {
        mean: r(mean(rs.map((x) => x.absErrorMbps))),
        sd: r(Math.sqrt(mean(rs.map((x) => (x.absErrorMbps - mean(rs.map((y) => y.absErrorMbps))) ** 2)))),
      },
    },
  };
});

const report = {
  benchmark: 'negotiation',
  command: `npm run bench:negotiation -- --n ${n} --parties ${partyCount} --modes ${modes.join(',')}`,
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: r(os.totalmem() / 2 ** 30, 1),
  },
  model: config.model.model,
  prompts: { bo: config.boPrompt, mediator: config.mediatorPrompt },
  settings: {
    parties: partyCount,
    maxRounds: Number(args['max-rounds']),
    toleranceMbps: Number(args.tolerance),
    seed: Number(args.seed),
  },
  summary,
  runs,
};
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(report, null, 2));
console.log('\nmode  consensus  median s  p95 s  rounds  model busy  orchestration  |outcome-optimum| Mbps (all runs)');
for (const s of summary) {
  console.log(
    `${s.mode.padEnd(5)} ${String(s.consensusRate).padStart(9)} ${String(s.wallSeconds.median).padStart(9)} ${String(s.wallSeconds.p95).padStart(6)} ${String(s.rounds.mean).padStart(7)} ${(s.modelBusyShare * 100).toFixed(1).padStart(10)}% ${(s.orchestrationShare * 100).toFixed(1).padStart(13)}%  ${s.absErrorMbps.allRuns.mean} ± ${s.absErrorMbps.allRuns.sd}`,
  );
}
console.log(`\nwritten to ${path.relative(projectRoot, args.out)}`);
