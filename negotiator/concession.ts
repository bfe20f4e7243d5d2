/**
 * `npm run negotiator:concession -- [--split train] [--n 400] [--kappa 0.2,0.3,0.4] [--accept 3,4,5]
 *    [--split-at 1,1.1,1.2,1.25,1.3] [--map-search] [--mediators] [--out results/negotiator-concession-train.json]`
 *
 * Can a teacher beat the rule's distance to eq. (1)'s optimum without MAESTRO knowing the weights? A
 * closed-form simulation of teacher rules (no LLM, no workflow) on the off-mode scenarios of a split,
 * to choose the next teacher before paying for rollouts (about 200 episodes an hour on 2 cores).
 *
 * The mechanism. MAESTRO proposes the demands' mean p (the rule's MAESTRO). If BO i answers
 * dᵢ = tᵢ + (1 − fᵢ)(p − tᵢ), keeping a share fᵢ of its distance to MAESTRO (its firmness), the
 * proposal's fixed point is p = Σ fᵢ tᵢ / Σ fᵢ. With fᵢ proportional to the weight wᵢ that is eq. (1)'s
 * optimum Σ wᵢ tᵢ / Σ wᵢ (core/optimizer/consensus.ts `closedFormOptimum`): a party that cares more
 * holds harder, which its own utility −wᵢ(x − tᵢ)² rewards. The mean-taking rule is fᵢ = 0 after the
 * opening, so it stops at the unweighted mean of the targets.
 *
 * Teachers simulated, all opening at the target in round 1 and taking MAESTRO's proposal in the
 * accept round (so every game agrees, as the workflow's consensus rule needs):
 * - `rule`: take MAESTRO's first proposal in round 2;
 * - `persona`: the persona teacher (policies.ts `personaValue`), a disagreeable or toxic party holds
 *   its target in round 2 and takes the next proposal;
 * - `weight κ@A`: fᵢ = min(1, κ·wᵢ) in rounds 2 … A − 1, taking the proposal in round A;
 * - `weight-persona κ@A`: the same, a firm party holding its target (fᵢ = 1) in round 2;
 * - `ladder@4`: the teacher built on this (policies.ts `weightedValue`), fᵢ in three bands of the weight;
 * - `take-half-hold@3`: its three-round successor (policies.ts `weighted3Value`): fᵢ = 0, ½ or 1 by band;
 * - `take-splitW-hold@3`: that with the "moderately" band split at weight W (policies.ts `weighted3SplitValue`):
 *   fᵢ = ¼ below W, ¾ from W on, a firm party ½ firmer (session 29);
 * - with `--map-search`, `map …`: any rung per bin of the weight, fitted (`searchWeightMap`), a firm party 0, 1 or 2
 *   rungs firmer (session 32).
 *
 * With `--mediators`, MAESTRO's round-2 proposal varies instead (`Mediator`): the mean, a policy-free fixed point of
 * the firmness each party showed, and a table that decodes the split teacher's rungs (session 33).
 *
 * Fig. 3a's pairs (bench/personalities.ts: cost 20, QoS 80, equal weights) are simulated beside, since
 * a teacher that reaches the optimum must still let a firm party drag a yielding one.
 *
 * A 135M model cannot compute tᵢ + (1 − fᵢ)(p − tᵢ) in its head: the `ladder` BO prompt
 * (activities/agent/prompts.ts) states the weight in words and the rungs a quarter, half and three
 * quarters of the way, and the built teacher picks one. This command measures teachers before rollouts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { weightBand } from '../activities/agent/prompts.ts';
import { fig3aPairs, pulledHighMbps } from './fig3a.ts';
import {
  firmerMove,
  moveByBand,
  moderatelySplitWeight,
  rungByBand,
  splitMove,
  splitMoveShare,
  weighted3AcceptRound,
  weightedAcceptRound,
  type Move,
} from './policies.ts';
import { mean, round } from '../bench/lib/games.ts';
import { closedFormOptimum, clip } from '../core/optimizer/consensus.ts';
import {
  ladderShares,
  movesPointTo,
  movesWeightByRung,
  movesWeightedBy,
  type PartyMove,
} from '../core/negotiation/moves.ts';
import { personalities, personalityLetters, type Personality } from '../core/negotiation/schemas.ts';
import { drawScenarios, scenarioSplits, scenarioTopic, type Scenario, type ScenarioSplit } from './scenarios.ts';

export interface SimParty {
  target: number;
  weight: number;
  personality: Personality;
}

/** A teacher: each party's firmness in a round after the opening, and the round all take the proposal. */
export interface Teacher {
  name: string;
  acceptRound: number;
  firmness: (party: SimParty, round: number) => number;
}

const firm: ReadonlySet<Personality> = new Set(['disagreeable', 'toxic']);

export const ruleTeacher: Teacher = { name: 'rule', acceptRound: 2, firmness: () => 0 };
export const personaTeacher: Teacher = {
  name: 'persona',
  acceptRound: 3,
  firmness: (p) => (firm.has(p.personality) ? 1 : 0),
};
export const weightTeacher = (kappa: number, acceptRound: number): Teacher => ({
  name: `weight ${kappa}@${acceptRound}`,
  acceptRound,
  firmness: (p) => Math.min(1, kappa * p.weight),
});
/**
 * The teacher built on this (policies.ts `weightedValue`, the `ladder` prompt): the weight in three bands,
 * each a rung of the ladder the prompt states (hold a quarter, half or three quarters of the distance), a
 * firm party holding its target through round 2, all taking the proposal in round 4.
 */
export const ladderTeacher: Teacher = {
  name: `ladder@${weightedAcceptRound}`,
  acceptRound: weightedAcceptRound,
  firmness: (p, r) => (r === 2 && firm.has(p.personality) ? 1 : 1 - rungByBand[weightBand(p.weight)].share),
};
const firmnessOfMove: Record<Move, number> = { take: 0, half: 0.5, hold: 1 };
/**
 * The three-round weighted teacher (policies.ts `weighted3Value`): in round 2 a party takes MAESTRO's proposal,
 * moves half of the way or holds its target by its weight's band, a firm party one move firmer; all take the
 * proposal in round 3.
 */
export const takeHalfHoldTeacher: Teacher = {
  name: `take-half-hold@${weighted3AcceptRound}`,
  acceptRound: weighted3AcceptRound,
  firmness: (p) => {
    const move = moveByBand[weightBand(p.weight)];
    return firmnessOfMove[firm.has(p.personality) ? firmerMove[move] : move];
  },
};
/**
 * The split teacher (policies.ts `weighted3SplitValue`): the three-round teacher with its "moderately" band split
 * at weight `at`, three quarters of the way below it and a quarter at or above, a firm party two rungs firmer.
 */
export const splitTeacher = (at = moderatelySplitWeight): Teacher => ({
  name: `take-split${at}-hold@${weighted3AcceptRound}`,
  acceptRound: weighted3AcceptRound,
  firmness: (p) => 1 - splitMoveShare[splitMove(p.weight, firm.has(p.personality), at)],
});
/** The shares of the way to MAESTRO's proposal a weight map's rungs move: take, ¾, ½, ¼, hold. */
const mapShares = ladderShares;
/** Bin edges of the weight (the scenarios draw 0.5–2) for a weight map finer than the prompt's words. */
export const weightMapEdges = [0.6, 0.7, 0.8, 0.875, 0.95, 1, 1.05, 1.1, 1.2, 1.3, 1.4, 1.5, 1.7, 1.9] as const;
/**
 * A three-round teacher whose round-2 move is any rung per weight bin (`map[bin]` indexes take … hold), a firm party
 * `firmShift` rungs firmer (the split teacher's firm party: 2, half a distance). What a student reading the weight's
 * number instead of its word could be taught (session 32).
 */
export function weightMapTeacher(map: readonly number[], firmShift: number, edges = weightMapEdges): Teacher {
  const binOf = (weight: number): number => edges.filter((edge) => weight >= edge).length;
  return {
    name: `map ${map.join('')} firm+${firmShift}@${weighted3AcceptRound}`,
    acceptRound: weighted3AcceptRound,
    firmness: (p) => {
      const rung = Math.min(mapShares.length - 1, map[binOf(p.weight)]! + (firm.has(p.personality) ? firmShift : 0));
      return 1 - mapShares[rung]!;
    },
  };
}
/**
 * The best weight map for a firm shift on some scenarios, by coordinate descent from the split teacher's bands
 * (each bin in turn set to the rung of least mean error, `passes` times over).
 */
export function searchWeightMap(
  scenarios: readonly Scenario[],
  firmShift: number,
  passes = 3,
  mediator: Mediator = meanMediator,
): number[] {
  const error = (map: readonly number[]): number =>
    evaluateTeacher(scenarios, weightMapTeacher(map, firmShift), mediator).errorMbps.all;
  // the split teacher's bands: take below 0.875, ¾ to 1.1, ¼ to 1.5, hold above
  let map: number[] = [0, ...weightMapEdges].map((edge) => (edge < 0.875 ? 0 : edge < 1.1 ? 1 : edge < 1.5 ? 3 : 4));
  let best = error(map);
  for (let pass = 0; pass < passes; pass++)
    for (let bin = 0; bin < map.length; bin++)
      for (let rung = 0; rung < mapShares.length; rung++) {
        const tried = map.with(bin, rung);
        const e = error(tried);
        if (e < best) [best, map] = [e, tried];
      }
  return map;
}
/**
 * The best monotone `rungTableMediator` for a teacher on some scenarios (a firmer rung never counts less; "take"
 * fixed at 0.5, since only the ratios matter), among those whose Fig. 3a pulled pairs stay at `minDragMbps` or
 * above: an exhaustive search over a grid of weights. How `movesWeightByRung` was fitted.
 */
export function searchRungTable(scenarios: readonly Scenario[], teacher: Teacher, minDragMbps: number): number[] {
  const grid = [0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.7, 2, 2.5, 3];
  let best = Number.POSITIVE_INFINITY;
  let table: number[] = [0.5, 0.5, 0.5, 0.5, 0.5];
  for (const a of grid)
    for (const b of grid.filter((x) => x >= a))
      for (const c of grid.filter((x) => x >= b))
        for (const d of grid.filter((x) => x >= c)) {
          const tried = [0.5, a, b, c, d];
          const row = evaluateTeacher(scenarios, teacher, rungTableMediator(tried));
          if (Math.min(...pulledPairs.map((pair) => row.fig3a[pair]!)) < minDragMbps) continue;
          if (row.errorMbps.all < best) [best, table] = [row.errorMbps.all, tried];
        }
  return table;
}
/** The pairs where a firm party drags a yielding one (Fig. 3a's "pulled high"). */
const pulledPairs = ['V-T', 'V-D', 'A-D', 'N-T'] as const;
export const weightPersonaTeacher = (kappa: number, acceptRound: number): Teacher => ({
  name: `weight-persona ${kappa}@${acceptRound}`,
  acceptRound,
  firmness: (p, r) => (r === 2 && firm.has(p.personality) ? 1 : Math.min(1, kappa * p.weight)),
});

/**
 * MAESTRO's proposal after a round of moves, from what it reads in off mode: each party's demand the round before
 * (`before`), its own proposal then, and the demands now. Never the targets or weights (docs/NEGOTIATION.md,
 * "Privacy"). The rule's MAESTRO is `meanMediator`; the others are session 33's test of the mediator as the place
 * a trained negotiator could still gain.
 */
export interface Mediator {
  name: string;
  propose: (before: readonly number[], proposal: number, demands: readonly number[]) => number;
}
const asMoves = (before: readonly number[], demands: readonly number[]): PartyMove[] =>
  before.map((b, i) => ({ before: b, now: demands[i]! }));
export const meanMediator: Mediator = { name: 'mean', propose: (_before, _proposal, demands) => mean([...demands]) };
/**
 * Where the demands' mean would converge if every party kept showing the same firmness fᵢ (the header's fixed point
 * Σ fᵢ tᵢ / Σ fᵢ), with `floor` added to each fᵢ so that a party that took the proposal still counts. It assumes
 * nothing about the parties' policy.
 */
export const fixedPointMediator = (floor: number): Mediator => ({
  name: `fixed point f+${floor}`,
  propose: (before, proposal, demands) =>
    movesWeightedBy(asMoves(before, demands), proposal, (firmness) => firmness + floor) ?? mean([...demands]),
});
/**
 * A MAESTRO that knows the BOs' ladder (core/negotiation/moves.ts `movesPointTo`): it reads which rung each party's
 * move is nearest to and counts the party's demand before by `table[rung]`. The `moves` mediator prompt shows this
 * statistic with the fitted table (`movesWeightByRung`).
 */
export const rungTableMediator = (table: readonly number[]): Mediator => ({
  name: `rung table ${table.join('/')}`,
  propose: (before, proposal, demands) => movesPointTo(asMoves(before, demands), proposal, table) ?? mean([...demands]),
});

/**
 * The consensus a teacher reaches: openings at the targets, MAESTRO proposing the demands' mean after the
 * openings and `mediator`'s proposal after every later round, each party answering tᵢ + (1 − fᵢ)(p − tᵢ) until the
 * accept round, where all take MAESTRO's last proposal.
 */
export function simulate(
  parties: readonly SimParty[],
  teacher: Teacher,
  range = scenarioTopic,
  mediator: Mediator = meanMediator,
): number {
  let demands = parties.map((p) => p.target);
  let proposal = clip(mean(demands), range);
  for (let r = 2; r < teacher.acceptRound; r++) {
    const before = demands;
    demands = parties.map((p) => {
      const f = teacher.firmness(p, r);
      return p.target + (1 - f) * (proposal - p.target);
    });
    proposal = clip(mediator.propose(before, proposal, demands), range);
  }
  return proposal;
}

const optimumOf = (parties: readonly SimParty[], range = scenarioTopic): number =>
  closedFormOptimum(
    parties.map((p, i) => ({ partyId: String(i), target: p.target, weight: p.weight })),
    range,
  );

interface Row {
  teacher: string;
  rounds: number;
  errorMbps: { all: number; twoParty: number; fourPlus: number; firm: number; noFirm: number };
  fig3a: Record<string, number>;
}

const letters: Record<string, Personality> = personalityLetters;

export function evaluateTeacher(
  scenarios: readonly Scenario[],
  teacher: Teacher,
  mediator: Mediator = meanMediator,
): Row {
  const errors = scenarios.map((s) => {
    const parties = s.request.parties;
    return { s, error: Math.abs(simulate(parties, teacher, scenarioTopic, mediator) - optimumOf(parties)) };
  });
  const hasFirm = (s: Scenario): boolean => s.request.parties.some((p) => firm.has(p.personality));
  const avg = (keep: (s: Scenario) => boolean): number =>
    round(mean(errors.filter((e) => keep(e.s)).map((e) => e.error)), 2);
  const fig3a = Object.fromEntries(
    fig3aPairs.map((pair) => {
      const [cost, qos] = pair.split('-').map((l) => letters[l]!);
      const parties: SimParty[] = [
        { target: 20, weight: 1, personality: cost! },
        { target: 80, weight: 1, personality: qos! },
      ];
      return [pair, round(simulate(parties, teacher, scenarioTopic, mediator), 1)];
    }),
  );
  return {
    teacher: mediator === meanMediator ? teacher.name : `${teacher.name}, MAESTRO ${mediator.name}`,
    rounds: teacher.acceptRound,
    errorMbps: {
      all: avg(() => true),
      twoParty: avg((s) => s.request.parties.length === 2),
      // games past the students' training draws (≤ 3 parties): bench:optimizers plays 5 and 10
      fourPlus: avg((s) => s.request.parties.length > 3),
      firm: avg(hasFirm),
      noFirm: avg((s) => !hasFirm(s)),
    },
    fig3a,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      split: { type: 'string', default: 'train' },
      n: { type: 'string', default: '400' },
      kappa: { type: 'string', default: '0.2,0.3,0.4' },
      accept: { type: 'string', default: '3,4,5' },
      'split-at': { type: 'string', default: '1,1.1,1.2,1.25,1.3' },
      'map-search': { type: 'boolean', default: false },
      mediators: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const split = values.split as ScenarioSplit;
  if (!scenarioSplits.includes(split)) throw new Error(`--split must be one of ${scenarioSplits.join(', ')}`);
  const numbers = (text: string): number[] => text.split(',').map(Number);
  const scenarios = drawScenarios(split, Number(values.n)).filter((s) => s.request.optimizerMode === 'off');
  const teachers: Teacher[] = [ruleTeacher, personaTeacher, ladderTeacher, takeHalfHoldTeacher];
  for (const at of numbers(values['split-at'])) teachers.push(splitTeacher(at));
  for (const kappa of numbers(values.kappa))
    for (const accept of numbers(values.accept))
      teachers.push(weightTeacher(kappa, accept), weightPersonaTeacher(kappa, accept));
  const rows = teachers.map((t) => evaluateTeacher(scenarios, t));
  const weightMaps = values['map-search'] ? mapSearch(split, Number(values.n), scenarios) : undefined;
  const mediators = values.mediators ? mediatorSearch(split, Number(values.n), scenarios) : undefined;
  const twoParty = scenarios.filter((s) => s.request.parties.length === 2).length;
  console.log(
    `${scenarios.length} off-mode ${split} scenarios (${twoParty} two-party); error to eq. (1)'s optimum, Mbps`,
  );
  console.log(`${'teacher'.padEnd(24)} all    2-party 4+     firm   no-firm | Fig. 3a ${fig3aPairs.join(' ')}`);
  for (const row of rows) {
    const e = row.errorMbps;
    const cells = [e.all, e.twoParty, e.fourPlus, e.firm, e.noFirm].map((x) => x.toFixed(2).padStart(6)).join(' ');
    console.log(`${row.teacher.padEnd(24)} ${cells} | ${fig3aPairs.map((p) => String(row.fig3a[p])).join(' ')}`);
  }
  if (values.out) {
    mkdirSync(path.dirname(values.out), { recursive: true });
    const setup = { split, n: Number(values.n), offModeScenarios: scenarios.length, personalities };
    writeFileSync(
      values.out,
      `${JSON.stringify({ setup, rows, ...(weightMaps ? { weightMaps } : {}), ...(mediators ? { mediators } : {}) }, null, 2)}\n`,
    );
    console.log(`wrote ${values.out}`);
  }
}

/**
 * `--map-search`: the best weight map for each firm shift (0, 1, 2 rungs), fitted on the scenarios and checked on the
 * split's next n, beside the split teacher. How much a finer use of the weight could still buy, and what Fig. 3a's
 * drag costs.
 */
function mapSearch(split: ScenarioSplit, n: number, scenarios: readonly Scenario[]): WeightMapRow[] {
  const check = drawScenarios(split, 2 * n)
    .slice(n)
    .filter((s) => s.request.optimizerMode === 'off');
  console.log(`weight maps fitted on these ${scenarios.length}, checked on the next ${check.length}; Mbps`);
  const teachers = [
    splitTeacher(),
    ...[0, 1, 2].map((shift) => weightMapTeacher(searchWeightMap(scenarios, shift), shift)),
  ];
  return teachers.map((teacher) => {
    const fitted = evaluateTeacher(scenarios, teacher);
    const row = {
      teacher: teacher.name,
      fitMbps: fitted.errorMbps.all,
      checkMbps: evaluateTeacher(check, teacher).errorMbps.all,
      fig3a: fitted.fig3a,
    };
    const drag = fig3aPairs.map((p) => `${p} ${row.fig3a[p]}`).join(', ');
    console.log(`${row.teacher.padEnd(34)} fit ${row.fitMbps.toFixed(2)}  check ${row.checkMbps.toFixed(2)} | ${drag}`);
    return row;
  });
}
/**
 * `--mediators`: MAESTRO's round-2 proposal as the lever (session 33), at the split teacher's moves. The rule's mean,
 * the policy-free fixed point and the rung table fitted with no drag bound, at the bound the gate reads (Fig. 3a's
 * "pulled high") and at the split teacher's own drag; fitted on the scenarios and checked on the split's next n.
 */
function mediatorSearch(split: ScenarioSplit, n: number, scenarios: readonly Scenario[]): WeightMapRow[] {
  const check = drawScenarios(split, 2 * n)
    .slice(n)
    .filter((s) => s.request.optimizerMode === 'off');
  const teacher = splitTeacher();
  const ownDrag = evaluateTeacher(scenarios, teacher).fig3a['V-T']!;
  console.log(
    `MAESTRO's round-2 proposal at ${teacher.name}: fitted on ${scenarios.length}, checked on ${check.length}`,
  );
  const moves = rungTableMediator(movesWeightByRung);
  // the BOs' best round-2 map against the shipped `moves` MAESTRO: is there a move left for the BOs to learn?
  const bestMap = weightMapTeacher(searchWeightMap(scenarios, 2, 3, moves), 2);
  const plays: [Teacher, Mediator][] = [
    [teacher, meanMediator],
    ...[0.25, 0.5, 0.75, 1].map((floor): [Teacher, Mediator] => [teacher, fixedPointMediator(floor)]),
    ...[0, pulledHighMbps, ownDrag].map((drag): [Teacher, Mediator] => [
      teacher,
      rungTableMediator(searchRungTable(scenarios, teacher, drag)),
    ]),
    [teacher, moves],
    [bestMap, moves],
  ];
  return plays.map(([bos, mediator]) => {
    const fitted = evaluateTeacher(scenarios, bos, mediator);
    const row = {
      teacher: fitted.teacher,
      fitMbps: fitted.errorMbps.all,
      checkMbps: evaluateTeacher(check, bos, mediator).errorMbps.all,
      fig3a: fitted.fig3a,
    };
    const drag = fig3aPairs.map((p) => `${p} ${row.fig3a[p]}`).join(', ');
    const name = bos === teacher ? mediator.name : `${bos.name}, ${mediator.name}`;
    console.log(`${name.padEnd(34)} fit ${row.fitMbps.toFixed(2)}  check ${row.checkMbps.toFixed(2)} | ${drag}`);
    return row;
  });
}
interface WeightMapRow {
  teacher: string;
  fitMbps: number;
  checkMbps: number;
  fig3a: Record<string, number>;
}

if (import.meta.main) main();
