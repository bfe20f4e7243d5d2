/**
 * The issue's measures over a set of episodes: consensus rate within the rounds (with a Wilson 95 %
 * interval), error to the optimum on consensus, rounds and wall time, per optimizer mode and for the
 * two-party case the targets are stated for; the agents' rewards; and per personality the mean
 * concession and how often the arbitral unit flagged it (Fig. 3a's ordering, in numbers).
 */
import { personalities } from '../core/negotiation/schemas.ts';
import { mean, percentile, round, sd } from '../bench/lib/games.ts';
import type { Episode } from './episode.ts';
import { fig3aOrdering, onFig3aScale, pairName, toxicFlaggedShare } from './fig3a.ts';

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

/** A pair scenario's outcome: the consensus, else the mean of the two last values (as bench:personalities). */
function pairOutcomeMbps(e: Episode): number {
  const [cost, qos] = e.scenario.request.parties;
  if (!cost || !qos) throw new Error(`${e.scenario.id}: a pair scenario holds two parties`);
  const last = (id: string): number => e.state.lastValues[id] ?? Number.NaN;
  const outcome = e.state.consensus?.value ?? (last(cost.id) + last(qos.id)) / 2;
  return onFig3aScale(outcome, cost.target, qos.target);
}

/**
 * Over pair scenarios (scenarios.ts `drawPairScenario`): each personality pair's outcome on Fig. 3a's
 * 20 → 80 Mbps scale, and Fig. 3a's ordering checked on them (fig3a.ts). Null when no episode is a pair draw.
 */
export function summarisePairs(episodes: readonly Episode[]): Record<string, unknown> | null {
  const pairEpisodes = episodes.filter((e) => e.scenario.id.includes('-pair-'));
  if (pairEpisodes.length === 0) return null;
  const byPair = new Map<string, Episode[]>();
  for (const e of pairEpisodes) {
    const [cost, qos] = e.scenario.request.parties;
    const name = pairName(cost!.personality, qos!.personality);
    byPair.set(name, byPair.get(name) ?? []);
    byPair.get(name)!.push(e);
  }
  const pairs = Object.fromEntries(
    [...byPair.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, mine]) => {
        const outcomes = mine.map(pairOutcomeMbps);
        return [
          name,
          {
            games: mine.length,
            agreementRate: r(mine.filter((e) => e.reward.consensus).length / mine.length),
            outcomeOnFig3aScaleMbps: { mean: r(mean(outcomes), 1), sd: r(sd(outcomes), 1) },
          },
        ];
      }),
  );
  const flaggedShare = toxicFlaggedShare(pairEpisodes.map((e) => e.state));
  const meanByPair = Object.fromEntries(
    Object.entries(pairs).map(([name, p]) => [name, p.outcomeOnFig3aScaleMbps.mean]),
  );
  return {
    games: pairEpisodes.length,
    toxicFlaggedShare: flaggedShare === null ? null : r(flaggedShare),
    ordering: fig3aOrdering(meanByPair, flaggedShare),
    pairs,
  };
}

export function summarise(episodes: readonly Episode[]): Record<string, unknown> {
  const modes = ['off', 'soft'] as const;
  const parties = episodes.flatMap((e) => e.reward.parties);
  const turns = episodes.flatMap((e) => e.turns ?? []);
  const pairs = summarisePairs(episodes);
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
    ...(pairs ? { fig3aPairs: pairs } : {}),
  };
}
