/**
 * The issue's measures over a set of episodes: consensus rate within the rounds (with a Wilson 95 %
 * interval), error to the optimum on consensus, rounds and wall time, per optimizer mode and for the
 * two-party case the targets are stated for; the agents' rewards; and per personality the mean
 * concession and how often the arbitral unit flagged it (Fig. 3a's ordering, in numbers).
 */
import { personalities } from '../core/negotiation/schemas.ts';
import { mean, percentile, round, sd } from '../bench/lib/games.ts';
import type { Episode } from './episode.ts';

/** NaN (no data) is written as null in the results file. */
const r = (x: number, digits = 3): number => round(x, digits);

/** Wilson score interval of a proportion (95 %). */
export function wilson(successes: number, trials: number): [number, number] {
  if (trials === 0) return [0, 1];
  const z = 1.959964;
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return [r(Math.max(0, centre - half)), r(Math.min(1, centre + half))];
}

function outcomes(episodes: readonly Episode[]): Record<string, unknown> {
  const agreed = episodes.filter((e) => e.reward.consensus);
  const errors = agreed.map((e) => e.reward.mediator.errorToOptimum ?? 0);
  const max = errors.length > 0 ? Math.max(...errors) : Number.NaN;
  const walls = episodes.map((e) => e.wallSeconds);
  return {
    episodes: episodes.length,
    consensus: agreed.length,
    consensusRate: episodes.length ? r(agreed.length / episodes.length) : null,
    consensusRate95: wilson(agreed.length, episodes.length),
    errorToOptimumMbps: { mean: r(mean(errors), 2), sd: r(sd(errors), 2), max: r(max, 2) },
    rounds: r(mean(episodes.map((e) => e.reward.rounds)), 2),
    wallSeconds: { median: r(percentile(walls, 50), 2), p95: r(percentile(walls, 95), 2) },
    mediatorReward: r(mean(episodes.map((e) => e.reward.mediator.total))),
    boReward: r(mean(episodes.flatMap((e) => e.reward.parties.map((p) => p.total)))),
  };
}

export function summarise(episodes: readonly Episode[]): Record<string, unknown> {
  const modes = ['off', 'soft'] as const;
  const parties = episodes.flatMap((e) => e.reward.parties);
  const turns = episodes.flatMap((e) => e.turns ?? []);
  return {
    all: outcomes(episodes),
    byMode: Object.fromEntries(
      modes.map((m) => [m, outcomes(episodes.filter((e) => e.scenario.request.optimizerMode === m))]),
    ),
    twoParty: Object.fromEntries(
      modes.map((m) => [
        m,
        outcomes(
          episodes.filter((e) => e.scenario.request.optimizerMode === m && e.scenario.request.parties.length === 2),
        ),
      ]),
    ),
    manyParty: outcomes(episodes.filter((e) => e.scenario.request.parties.length > 2)),
    byPersonality: Object.fromEntries(
      personalities.map((p) => {
        const mine = parties.filter((x) => x.personality === p);
        const concessions = mine.flatMap((x) => (x.concession === null ? [] : [x.concession]));
        return [
          p,
          {
            parties: mine.length,
            reward: r(mean(mine.map((x) => x.total))),
            meanConcession: r(mean(concessions)),
            flaggedShare: mine.length ? r(mine.filter((x) => x.flaggedRounds > 0).length / mine.length) : null,
            validity: r(mean(mine.map((x) => x.validity))),
          },
        ];
      }),
    ),
    recordedTurns: turns.length,
  };
}
