/**
 * `npm run bench:personalities -- [--games 5] [--pairs N-N,A-D,…] [--policy served|rule|persona|…] [--fresh]`
 *
 * MAESTRO paper Fig. 3a: two agents on a shared base station, a cost agent (wants the throughput
 * low, target 20 Mbps) and a QoS agent (wants it high, target 80 Mbps), so the fair middle ground
 * is 50 Mbps; each personality pair plays G games of at most 5 rounds with the LLM alone (no
 * optimizer guidance). Arbitration runs in monitoring mode (flags recorded, no incentives), so the
 * personalities play out as in the paper and the flags show what the arbitral unit would catch.
 * Each agent's final value is recorded whether or not they agree. `--policy` plays a baseline of
 * negotiator/policies.ts in place of the served model (the teacher's own Fig. 3a). Writes
 * results/personalities.json; `npm run bench:plots` draws the box plot.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../core/config.ts';
import { personalityLetters } from '../core/negotiation/schemas.ts';
import type { Personality } from '../core/negotiation/types.ts';
import { policyNames, policyOver, promptOfPolicy, type PolicyName } from '../negotiator/policies.ts';
import { mean, round, runGames, sd, writeResults, type Game } from './lib/games.ts';
import {
  fig3aCostTargetMbps,
  fig3aFairMbps,
  fig3aOrdering,
  fig3aQosTargetMbps,
  fig3aTopic,
  toxicFlaggedShare,
} from '../negotiator/fig3a.ts';

const letters: Record<string, Personality> = personalityLetters;
const { values: args } = parseArgs({
  options: {
    games: { type: 'string', default: '5' },
    // Fig. 3a's pairs, plus A-A and V-V as the cooperative extremes.
    pairs: { type: 'string', default: 'N-N,A-D,V-D,V-T,N-T,D-T,T-T,D-D,A-A,V-V' },
    policy: { type: 'string', default: 'served' },
    fresh: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'personalities.json') },
  },
});
const gamesPerPair = Number(args.games);
const policy = args.policy as PolicyName;
if (!policyNames.includes(policy)) throw new Error(`--policy must be one of ${policyNames.join(', ')}`);
const pairs = args.pairs.split(',').map((p) => p.trim());
for (const pair of pairs) {
  if (!/^[NADVT]-[NADVT]$/.test(pair)) throw new Error(`pair ${pair}: use two of N, A, D, V, T joined by '-'`);
}

const topic = fig3aTopic;
const games: Game[] = pairs.flatMap((pair) => {
  const [costLetter, qosLetter] = pair.split('-') as [string, string];
  return Array.from({ length: gamesPerPair }, (_, g) => ({
    id: `${pair}-${g}`,
    request: {
      topic,
      parties: [
        { id: 'cost', objective: 'cost', target: fig3aCostTargetMbps, personality: letters[costLetter] },
        { id: 'qos', objective: 'qos', target: fig3aQosTargetMbps, personality: letters[qosLetter] },
      ],
      maxRounds: 5,
      tolerance: 2,
      optimizerMode: 'off',
      arbitration: { enabled: false },
    },
  }));
});

const boPrompt = promptOfPolicy(policy);
const { results, model, prompts } = await runGames(
  policy === 'served' ? 'personalities' : `personalities-${policy}`,
  games,
  {
    fresh: args.fresh,
    ...(policy === 'served' ? {} : { wrapChatModel: (m) => policyOver(policy, m), modelName: policy }),
    // a baseline that reads another prompt than the configured negotiator's (the weighted teacher's ladder)
    ...(boPrompt ? { boPrompt } : {}),
  },
);
const perPair = pairs.map((pair) => {
  const mine = results.filter((r) => r.id.startsWith(`${pair}-`));
  const agreed = mine.filter((r) => r.state.status === 'consensus');
  const finals = mine.map((r) => ({
    cost: r.state.lastValues.cost ?? Number.NaN,
    qos: r.state.lastValues.qos ?? Number.NaN,
    consensus: r.state.consensus?.value ?? null,
    rounds: r.state.rounds.length,
    seconds: round(r.wallSeconds, 1),
    flags: r.state.rounds.reduce((n, round) => n + (round.arbitration?.flags.length ?? 0), 0),
  }));
  const outcome = finals.map((f) => f.consensus ?? (f.cost + f.qos) / 2);
  return {
    pair,
    games: mine.length,
    agreementRate: round(agreed.length / mine.length, 2),
    outcomeMbps: { mean: round(mean(outcome), 1), sd: round(sd(outcome), 1) },
    consensusMbps: agreed.length ? round(mean(agreed.map((r) => r.state.consensus!.value)), 1) : null,
    meanRounds: round(mean(finals.map((f) => f.rounds)), 1),
    meanSecondsToConsensus: agreed.length ? round(mean(agreed.map((r) => r.wallSeconds)), 1) : null,
    flagsPerGame: round(mean(finals.map((f) => f.flags)), 1),
    finals,
  };
});
// the ordering over the pairs played (a pair not played fails its check)
const ordering = fig3aOrdering(
  Object.fromEntries(perPair.map((p) => [p.pair, p.outcomeMbps.mean])),
  toxicFlaggedShare(results.map((r) => r.state)),
);
writeResults(args.out, {
  command: `npm run bench:personalities -- --games ${gamesPerPair} --pairs ${pairs.join(',')}${policy === 'served' ? '' : ` --policy ${policy}`}`,
  model,
  prompts,
  setup: {
    topic,
    costTarget: fig3aCostTargetMbps,
    qosTarget: fig3aQosTargetMbps,
    fairMbps: fig3aFairMbps,
    maxRounds: 5,
    tolerance: 2,
    optimizerMode: 'off',
  },
  pairs: perPair,
  ordering,
});
console.log('pair   agree  outcome (mean ± sd)  rounds  s to consensus  flags/game');
for (const p of perPair) {
  console.log(
    `${p.pair.padEnd(6)} ${String(p.agreementRate).padEnd(6)} ${`${p.outcomeMbps.mean} ± ${p.outcomeMbps.sd}`.padEnd(20)} ${String(p.meanRounds).padEnd(7)} ${String(p.meanSecondsToConsensus ?? '—').padEnd(15)} ${p.flagsPerGame}`,
  );
}
console.log(`Fig. 3a ordering ${ordering.holds ? 'holds' : 'does not hold'}:`);
for (const c of ordering.checks) console.log(`  ${c.holds ? '✓' : '✗'} ${c.check}: ${c.value ?? '—'}`);
