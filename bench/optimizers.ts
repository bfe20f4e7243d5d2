/**
 * `npm run bench:optimizers -- [--n 4] [--sizes 2,5,10] [--designs off,soft,hard] [--fresh]`
 *
 * MAESTRO paper Fig. 3b: for 2, 5 and 10 agents and each design — standalone LLM (`off`), soft
 * optimizer (advice), hard optimizer (directive) — N negotiations from varied starting intents
 * (cost agents aim low, QoS agents high, weights 0.5–2; the same draws for every design), at most
 * 4 rounds, ε = 2 Mbps. Per cell: the mean absolute error between the outcome and the theoretical
 * optimum Σ w·t / Σ w, and the mean time to consensus. Writes results/optimizers.json.
 *
 * The outcome of a negotiation that did not converge is the weighted mean of its last demands
 * (what MAESTRO's aggregation would settle on); the consensus rate is reported beside it.
 */
import type { NegotiationState } from '../core/negotiation/types.ts';
import { gridGames, mean, parseGridArgs, round, runGames, sd, sharedStationTopic, writeResults } from './lib/games.ts';

const grid = parseGridArgs('optimizers', { n: 4, sizes: '2,5,10', designs: 'off,soft,hard', seed: 7 });
const { perCell, sizes, designs } = grid;
const games = gridGames(grid, { maxRounds: 4, tolerance: 2 });

/** Consensus, or for a negotiation that did not converge the weighted mean of its last demands. */
function outcomeOf(state: NegotiationState): number {
  if (state.consensus) return state.consensus.value;
  const weights = Object.fromEntries(state.request.parties.map((p) => [p.id, p.weight]));
  const entries = Object.entries(state.lastValues);
  const total = entries.reduce((s, [id]) => s + (weights[id] ?? 1), 0);
  return entries.reduce((s, [id, v]) => s + (weights[id] ?? 1) * v, 0) / total;
}

const { results, model, prompts } = await runGames('optimizers', games, { fresh: grid.fresh });
const cells = sizes.flatMap((size) =>
  designs.map((design) => {
    const mine = results.filter((r) => r.id.startsWith(`${size}-${design}-`));
    const errors = mine.map((r) => Math.abs(outcomeOf(r.state) - r.state.optimum.value));
    const agreed = mine.filter((r) => r.state.status === 'consensus');
    return {
      agents: size,
      design,
      games: mine.length,
      consensusRate: round(agreed.length / mine.length, 2),
      maeMbps: round(mean(errors), 2),
      sdMbps: round(sd(errors), 2),
      meanRounds: round(mean(mine.map((r) => r.state.rounds.length)), 2),
      meanSecondsToConsensus: agreed.length ? round(mean(agreed.map((r) => r.wallSeconds)), 1) : null,
      meanSeconds: round(mean(mine.map((r) => r.wallSeconds)), 1),
      errors: errors.map((e) => round(e, 2)),
    };
  }),
);
writeResults(grid.out, {
  command: `npm run bench:optimizers -- --n ${perCell} --sizes ${sizes.join(',')} --designs ${designs.join(',')}`,
  model,
  prompts,
  setup: { topic: sharedStationTopic, maxRounds: 4, tolerance: 2, seed: grid.seed },
  cells,
});
console.log('agents design consensus  MAE ± sd (Mbps)   rounds  s to consensus');
for (const c of cells) {
  console.log(
    `${String(c.agents).padEnd(6)} ${c.design.padEnd(6)} ${String(c.consensusRate).padEnd(10)} ${`${c.maeMbps} ± ${c.sdMbps}`.padEnd(17)} ${String(c.meanRounds).padEnd(7)} ${c.meanSecondsToConsensus ?? '—'}`,
  );
}
