/**
 * `npm run negotiator:compare -- --model <episodes.jsonl> --baseline <episodes.jsonl> [--baseline …]
 *    [--mode off] [--subset all|firm|no-firm] [--out results/<file>.json]`
 *
 * Does a model land closer to eq. (1)'s optimum than a trivial baseline (docs/NEGOTIATOR.md)? Episodes
 * of the same held-out scenarios are paired by scenario id, in one optimizer mode, over the scenarios
 * where both agreed; the mean difference in error to the optimum (model − baseline, Mbps, negative:
 * the model is closer) gets a percentile-bootstrap 95 % interval (10,000 resamples, seeded). Each
 * baseline's own agreement count is reported beside it, since a baseline that never agrees (random
 * answers) pairs with nothing.
 *
 * `--subset firm` keeps the scenarios where some party is firm (disagreeable or toxic), `no-firm` the
 * others: a negotiator true to its personalities is dragged toward a firm party (Fig. 3a), which shows
 * as error to the optimum in the first subset and not in the second.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mean, round } from '../bench/lib/games.ts';
import { lcg } from '../bench/lib/random.ts';
import { optimizerModeSchema, type OptimizerMode } from '../core/negotiation/schemas.ts';
import type { Episode } from './episode.ts';
import { readEpisodes } from './select.ts';

export const subsets = ['all', 'firm', 'no-firm'] as const;
export type Subset = (typeof subsets)[number];
const firmPersonalities: ReadonlySet<string> = new Set(['disagreeable', 'toxic']);

/** Whether a scenario is in `subset` (module docstring). */
export function inSubset(episode: Episode, subset: Subset): boolean {
  if (subset === 'all') return true;
  const firm = episode.scenario.request.parties.some((p) => firmPersonalities.has(p.personality));
  return subset === 'firm' ? firm : !firm;
}

export interface PairedComparison {
  baseline: string;
  episodes: number;
  baselineAgreed: number;
  modelAgreed: number;
  /** Scenarios where both agreed. */
  paired: number;
  /** The model's and the baseline's mean error to the optimum over the paired scenarios (Mbps). */
  modelMeanErrorMbps: number | null;
  baselineMeanErrorMbps: number | null;
  meanDifferenceMbps: number | null;
  ci95: [number, number] | null;
  modelCloser: number;
  modelFarther: number;
}

/** Error to the optimum per scenario id, for the episodes in `mode` (null where no consensus). */
function errorsById(episodes: readonly Episode[], mode: OptimizerMode, subset: Subset): Map<string, number | null> {
  return new Map(
    episodes
      .filter((e) => e.scenario.request.optimizerMode === mode && inSubset(e, subset))
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
  subset: Subset = 'all',
): PairedComparison {
  const ours = errorsById(model, mode, subset);
  const theirs = errorsById(baseline, mode, subset);
  const differences: number[] = [];
  const pairs: [number, number][] = [];
  for (const [id, error] of ours) {
    const other = theirs.get(id);
    if (error !== null && other !== undefined && other !== null) {
      differences.push(error - other);
      pairs.push([error, other]);
    }
  }
  const ci = differences.length > 0 ? bootstrapMean95(differences) : null;
  return {
    baseline: name,
    episodes: theirs.size,
    baselineAgreed: [...theirs.values()].filter((e) => e !== null).length,
    modelAgreed: [...ours.values()].filter((e) => e !== null).length,
    paired: differences.length,
    modelMeanErrorMbps: pairs.length > 0 ? round(mean(pairs.map((p) => p[0])), 2) : null,
    baselineMeanErrorMbps: pairs.length > 0 ? round(mean(pairs.map((p) => p[1])), 2) : null,
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
      subset: { type: 'string', default: 'all' },
      out: { type: 'string' },
    },
  });
  if (!args.model || !args.baseline?.length) {
    throw new Error('usage: negotiator:compare --model FILE.jsonl --baseline FILE.jsonl [--baseline …] [--mode off]');
  }
  const mode = optimizerModeSchema.parse(args.mode);
  const subset = subsets.find((s) => s === args.subset);
  if (!subset) throw new Error(`--subset ${args.subset}: expected one of ${subsets.join(', ')}`);
  const model = readEpisodes(args.model);
  const rows = args.baseline.map((file) => comparePaired(model, readEpisodes(file), mode, path.basename(file), subset));
  for (const row of rows) {
    const diff =
      row.meanDifferenceMbps === null
        ? 'nothing to pair'
        : `model ${row.modelMeanErrorMbps} vs ${row.baselineMeanErrorMbps} Mbps, difference ${row.meanDifferenceMbps} Mbps (95 % CI ${row.ci95![0]} to ${row.ci95![1]}), closer in ${row.modelCloser}, farther in ${row.modelFarther}`;
    process.stdout.write(
      `${row.baseline}: agreed ${row.baselineAgreed}/${row.episodes}; model ${row.modelAgreed}; paired ${row.paired}: ${diff}\n`,
    );
  }
  if (args.out) {
    mkdirSync(path.dirname(args.out), { recursive: true });
    const command = `npm run negotiator:compare -- ${process.argv.slice(2).join(' ')}`;
    writeFileSync(
      args.out,
      JSON.stringify({ command, model: args.model, mode, subset, comparisons: rows }, null, 2) + '\n',
    );
  }
}
