/**
 * `npm run bench:complexity -- [--n 3] [--sizes 2,5,10,20] [--designs hard,soft] [--fresh]`
 *
 * The MAESTRO paper's complexity claims, measured: messages per round and rounds to consensus
 * against the number of agents n, and the time to consensus. One round carries n service intents
 * (BO → MAESTRO) and, unless it ends the negotiation, n feedback messages (MAESTRO → BO): 2n;
 * the LLM calls per round are n BO decisions plus MAESTRO's. Writes results/complexity.json.
 */
import { gridGames, mean, parseGridArgs, round, runGames, sharedStationTopic, writeResults } from './lib/games.ts';

const grid = parseGridArgs('complexity', { n: 3, sizes: '2,5,10,20', designs: 'hard,soft', seed: 11 });
const { perCell, sizes, designs } = grid;
const games = gridGames(grid, { maxRounds: 8, tolerance: 2 });

const { results, model, prompts } = await runGames('complexity', games, { fresh: grid.fresh });
const cells = sizes.flatMap((size) =>
  designs.map((design) => {
    const mine = results.filter((r) => r.id.startsWith(`${size}-${design}-`));
    const rounds = mine.flatMap((r) => r.state.rounds);
    const messagesPerRound = rounds.map(
      (round) =>
        Object.keys(round.values).length + (round.decision === 'continue' ? Object.keys(round.values).length : 0),
    );
    const agreed = mine.filter((r) => r.state.status === 'consensus');
    return {
      agents: size,
      design,
      games: mine.length,
      consensusRate: round(agreed.length / mine.length, 2),
      messagesPerRound: round(mean(messagesPerRound), 2),
      llmCallsPerRound: round(mean(rounds.map((r) => r.llm.calls)), 2),
      roundsToConsensus: agreed.length ? round(mean(agreed.map((r) => r.state.rounds.length)), 2) : null,
      secondsToConsensus: agreed.length ? round(mean(agreed.map((r) => r.wallSeconds)), 1) : null,
      secondsPerRound: round(mean(mine.map((r) => r.wallSeconds / Math.max(1, r.state.rounds.length))), 2),
    };
  }),
);
writeResults(grid.out, {
  command: `npm run bench:complexity -- --n ${perCell} --sizes ${sizes.join(',')} --designs ${designs.join(',')}`,
  model,
  prompts,
  setup: { topic: sharedStationTopic, maxRounds: 8, tolerance: 2 },
  cells,
});
console.log('agents design consensus msgs/round llm/round rounds s-to-consensus s/round');
for (const c of cells) {
  console.log(
    `${String(c.agents).padEnd(6)} ${c.design.padEnd(6)} ${String(c.consensusRate).padEnd(9)} ${String(c.messagesPerRound).padEnd(10)} ${String(c.llmCallsPerRound).padEnd(9)} ${String(c.roundsToConsensus ?? '—').padEnd(6)} ${String(c.secondsToConsensus ?? '—').padEnd(14)} ${c.secondsPerRound}`,
  );
}
