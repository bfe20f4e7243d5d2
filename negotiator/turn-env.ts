/**
 * Negotiation turns as the learner's PPO environment (issue 15, item 3): one BO turn of a recorded game is a
 * task, an answer to it is scored by how the game would have ended had the BO answered so.
 *
 * Why turns, not whole games. PPO needs several answers to the same state and a reward for each; a game through
 * the workflow takes 2–4 s with the model served, and the torch policy PPO updates is not the served GGUF. A
 * turn's answer can instead be scored exactly as the workflow would have judged it, in microseconds:
 *
 * 1. the answer goes through the LLM unit's own extraction and bounds check (`extractServiceIntent`,
 *    `boundsProblem`, `quotedProposalProblem`): anything the workflow would reject is invalid;
 * 2. the round's demands are the recorded ones with this BO's replaced (the others answered the same prompt
 *    state at the same time, so they do not depend on this answer), judged by the workflow's rule
 *    (`judgeRound`: consensus within the tolerance at the weighted mean);
 * 3. a round that continues ends as the three-round teacher continues it (`weighted3Value`, which the weighted
 *    student follows in 315 of 320 dev turns; the split teacher continues the same way): MAESTRO proposes the
 *    demands' mean (`ruleValue`), and every BO takes it in the next round, judged again by `judgeRound`. The
 *    teacher an answer is measured against (`satisfied`, the bound and the floor) is the one the task's prompt was
 *    written for (`teacherAnswer`, `teacherShare`);
 * 4. the ending is scored by MAESTRO's terms of rewards.ts (`outcomeTerms`) and the turn's own quality term:
 *
 *      R = D + ½·Q + ½·v      (an invalid answer: R = −1.5, the least R can be)
 *
 *    D = max(−1, 1 − |x − x*| / (Δ/4)) the distance of the ending to eq. (1)'s optimum, Q = −(r − 1)/R the
 *    rounds used, v the turn's quality (1 when its reasoning states the value, ½ when not).
 *
 * Which reward, and why not the BO's own Rᵢ. In Rᵢ the utility term changes by about 0.01 for a few Mbps
 * (−wᵢ((x − tᵢ)/Δ)² with Δ = 134) while the personality term changes by up to 1, so PPO on Rᵢ would learn each
 * personality's fixed concession (the persona teacher, 12 Mbps from the optimum on held-out games), and a
 * party's own utility alone rewards holding, which stops at the rule's unweighted mean. The issue's measure
 * is the distance to the optimum, so the parties are trained as a team on MAESTRO's D and Q. The firm parties'
 * round-2 turns stay out by default (`isTrainedTurn`): their firmness is their personality (Fig. 3a: a toxic
 * party drags an agreeable one), which the team reward would train away. With `firm` "personality" they are
 * trained with their personality term added (`firmPersonalityTerm`); with `firm` "bound" they are trained under
 * the team's R within their personality's bound (`firmBoundBroken`): an answer that closes more of the gap to
 * MAESTRO than the firm teacher's move loses `firmBoundPenalty`. The yielding parties' round-2 turns can be held
 * from the other side (`yielding` "floor", `yieldingFloorBroken`): under D alone a yielding party facing a firm one
 * learns to hold too, since the firm party's drag moves the ending off eq. (1)'s optimum, and Fig. 3a's V-D drag is
 * gone (session 27). Later rounds' turns can be asked for:
 * there every party takes the proposal, and copying it wrongly costs a round and the distance (session 24's "5"
 * for 54), but holding can also pay for a fourth round.
 */
import { z } from 'zod';
import { extractServiceIntent } from '../activities/agent/extraction.ts';
import { boundsProblem, quotedProposalProblem, round2, type ProposalQuote } from '../activities/agent/validation.ts';
import { judgeRound } from '../core/negotiation/rules.ts';
import { personalitySchema, type Personality } from '../core/negotiation/schemas.ts';
import { clip } from '../core/optimizer/consensus.ts';
import { groupOf } from './agreement.ts';
import type { Episode } from './episode.ts';
import {
  firmerMove,
  firmPersonalities,
  moveByBand,
  splitMoveOf,
  splitMoveShare,
  statedBandWords,
  weighted3SplitValue,
  weighted3Value,
  type Move,
} from './policies.ts';
import type { SplitWeightBand, WeightBand } from '../activities/agent/prompts.ts';
import { outcomeTerms, statesValue, targetConcession, turnScore } from './rewards.ts';
import { actedTurns } from './select.ts';

/** The reward of an answer the workflow would reject: D = −1, Q = 0, v = −1. */
export const invalidTurnReward = -1.5;

const chatMessageSchema = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

/** One BO turn as a task: the prompt its agent read, and what scoring an answer to it needs. */
export const turnTaskSchema = z.strictObject({
  id: z.string().describe('episode workflow id, agent and round'),
  scenario: z.string(),
  agent: z.string(),
  personality: personalitySchema,
  round: z.number().int().min(2),
  messages: z.array(chatMessageSchema).min(2).describe('the chat the agent answered (system and round message)'),
  recordedAnswer: z.string().describe('what the agent answered in the recorded game'),
  kind: z
    .string()
    .optional()
    .describe("the turn's group of negotiator:agreement (agreement.ts groupOf): mode, round, weight band, firmness"),
  game: z.strictObject({
    parties: z.array(z.strictObject({ id: z.string(), weight: z.number().positive() })).min(2),
    values: z.record(z.string(), z.number()).describe("the round's recorded demands, this agent's included"),
    bounds: z.strictObject({ min: z.number(), max: z.number() }),
    tolerance: z.number().nonnegative(),
    maxRounds: z.number().int().min(2),
    optimum: z.number(),
    previous: z
      .strictObject({ value: z.number(), proposal: z.number() })
      .optional()
      .describe("this agent's demand and MAESTRO's proposal in the round before: a firm party's concession"),
  }),
  firmRule: z
    .enum(['term', 'bound'])
    .optional()
    .describe(
      "how a firm party's round-2 turn is held to its personality: its term added to R (the default) or a bound on its move",
    ),
  yieldingRule: z
    .enum(['floor'])
    .optional()
    .describe(
      "a yielding party's round-2 turn held to at least its personality's move (turn-env.ts yieldingFloorBroken)",
    ),
});
export type TurnTask = z.infer<typeof turnTaskSchema>;

/** A request to the reward server (`turn-reward-server.ts`): one answer to one task. */
export const turnRewardRequestSchema = z.strictObject({ id: z.string(), text: z.string() });

/** The server's answer, one line per request, in order. */
export const turnRewardSchema = z.strictObject({
  id: z.string(),
  reward: z.number(),
  valid: z.boolean(),
  /** Valid, and its ending is as near the optimum as the three-round teacher's answer to the same prompt. */
  satisfied: z.boolean(),
  value: z.number().nullable(),
  outcome: z.number().nullable(),
  rounds: z.number().int(),
  errorToOptimum: z.number().nullable(),
});
export type TurnReward = z.infer<typeof turnRewardSchema>;

/**
 * The environment's contract with the learner as JSON Schema: `negotiator/turn-env.schema.json`, written by
 * `npm run negotiator:turns -- --write-schema`, checked against these zod schemas by
 * tests/unit/negotiator-turn-env.test.ts and read by the learner's tests (learner/tests/test_negotiation.py).
 */
export function turnEnvJsonSchema(): Record<string, unknown> {
  return {
    turnTask: z.toJSONSchema(turnTaskSchema),
    rewardRequest: z.toJSONSchema(turnRewardRequestSchema),
    reward: z.toJSONSchema(turnRewardSchema),
  };
}

/** The game's ending when `agent` answers `value` in `round` and the teacher plays on (header, steps 2–3). */
export function continueGame(task: TurnTask, value: number): { outcome: number | null; rounds: number } {
  const { game, round } = task;
  const judge = (values: number[], r: number) =>
    judgeRound({ parties: game.parties, values, tolerance: game.tolerance, round: r, maxRounds: game.maxRounds });
  const demands = game.parties.map((p) => (p.id === task.agent ? value : game.values[p.id]!));
  const now = judge(demands, round);
  if (now.decision === 'consensus') return { outcome: now.consensusValue, rounds: round };
  if (now.decision !== 'continue') return { outcome: null, rounds: round };
  // MAESTRO's rule (policies.ts ruleValue): the demands' mean, as its answer rounds it
  const proposal = clip(round2(demands.reduce((s, x) => s + x, 0) / demands.length), game.bounds);
  const next = judge(
    game.parties.map(() => proposal),
    round + 1,
  );
  return { outcome: next.decision === 'consensus' ? next.consensusValue : null, rounds: round + 1 };
}

/** MAESTRO's proposal a task's answer may quote: the round before's (tasks are off-mode turns, no optimizer shown). */
const proposalQuoteOf = (task: TurnTask): ProposalQuote | null =>
  task.game.previous ? { proposal: task.game.previous.proposal, alsoQuotable: [] } : null;

/** R of one answer text (header). */
export function scoreTurn(task: TurnTask, text: string): TurnReward {
  const failed = { id: task.id, reward: invalidTurnReward, valid: false, satisfied: false };
  const extracted = extractServiceIntent(text);
  if (
    !extracted.ok ||
    boundsProblem(extracted.intent.value, task.game.bounds) !== null ||
    quotedProposalProblem(extracted.intent.reasoning, proposalQuoteOf(task), task.game.bounds) !== null
  ) {
    return {
      ...failed,
      value: extracted.ok ? extracted.intent.value : null,
      outcome: null,
      rounds: task.round,
      errorToOptimum: null,
    };
  }
  const { value, reasoning } = extracted.intent;
  const outOfCharacter =
    (task.firmRule === 'bound' && firmBoundBroken(task, value)) ||
    (task.yieldingRule === 'floor' && yieldingFloorBroken(task, value));
  const ending = continueGame(task, value);
  const request = { topic: task.game.bounds, maxRounds: task.game.maxRounds };
  const terms = outcomeTerms(request, ending.outcome, ending.rounds, task.game.optimum);
  const quality = turnScore({ valid: true, statesValue: statesValue(reasoning, value) });
  const personality = task.firmRule === 'bound' ? 0 : firmPersonalityTerm(task, value);
  const teacher = continueGame(task, teacherAnswer(task).value);
  const teacherError = teacher.outcome === null ? Infinity : Math.abs(teacher.outcome - task.game.optimum);
  return {
    id: task.id,
    reward:
      terms.distance +
      0.5 * terms.roundsTerm +
      0.5 * quality +
      0.5 * personality -
      (outOfCharacter ? firmBoundPenalty : 0),
    valid: true,
    satisfied: !outOfCharacter && terms.errorToOptimum !== null && terms.errorToOptimum <= teacherError + 1e-6,
    value,
    outcome: ending.outcome,
    rounds: ending.rounds,
    errorToOptimum: terms.errorToOptimum,
  };
}

/**
 * P of rewards.ts for a firm party's round-2 turn alone: 1 − 2·|c − c*| with c the share of its gap to MAESTRO's
 * proposal it closes (clipped to [0, 1]) and c* = 0.2; 0 for every other turn, and where the gap is within the
 * tolerance. It holds a firm party to its firmness when its turns are trained (`isTrainedTurn` with `firm`
 * "personality"): under the team's D alone a firm party would learn to yield (session 25, first runs). Round 3
 * and later, where every party takes the proposal, keep no such term.
 */
export function firmPersonalityTerm(task: TurnTask, value: number): number {
  const previous = task.game.previous;
  if (task.round !== 2 || !firmPersonalities.has(task.personality) || previous === undefined) return 0;
  const gap = previous.value - previous.proposal;
  if (Math.abs(gap) <= task.game.tolerance) return 0;
  const closed = Math.min(1, Math.max(0, (previous.value - value) / gap));
  return 1 - 2 * Math.abs(closed - targetConcession[task.personality]);
}

/**
 * What R loses when a firm party's answer breaks its bound (`firmBoundBroken`). Half a unit: more than D gains by
 * the yielding move in Fig. 3a's game (a firm party's half move brings the ending from 57.5 to the optimum 50,
 * +0.3 in D), so holding pays, and of the order of the yielding turns' own differences, so the bound does not
 * drown them. Session 26's first bound run scored a broken bound as an invalid answer (−1.5): after whitening those
 * few answers outweighed every yielding turn, and the yielding parties stopped moving too (docs/NEGOTIATOR.md).
 */
export const firmBoundPenalty = 0.5;

/** The share of its gap to MAESTRO's proposal a party closes with each of the three-round teacher's moves. */
export const moveShare: Record<Move, number> = { take: 1, half: 0.5, hold: 0 };

/**
 * Whether a firm party's round-2 answer breaks its personality's bound: it closes more of its gap to MAESTRO's
 * proposal than the three-round teacher's firm move for its weight band (`firmerMove`: hold when the topic
 * matters moderately or a lot to it, half way when a little), by more than 2 % of the gap (the ladder's
 * rounding). Why a bound and not a term: the ½-weighted term of the third run (`firmPersonalityTerm`) moved R by
 * a tenth between holding and the half move while D moved it by more, and the firm parties yielded (session 26,
 * docs/NEGOTIATOR.md). Within the bound the team's R chooses. False for every other turn, and where the gap is
 * within the tolerance.
 */
export function firmBoundBroken(task: TurnTask, value: number): boolean {
  if (!firmPersonalities.has(task.personality)) return false;
  const move = round2Move(task, value);
  return move !== null && move.closed > teacherShare(move.words, true) + 0.02;
}

/**
 * Whether a yielding party's round-2 answer closes less of its gap to MAESTRO's proposal than the three-round
 * teacher's move for its weight band (`moveByBand`: take when the topic matters a little to it, half way when
 * moderately, hold when a lot), by more than 2 % of the gap: the mirror of `firmBoundBroken`, with the same
 * penalty. Why: in Fig. 3a's V-D game the disagreeable party holds 80 and the vulnerable one's half move ends the
 * game at 57.5, 7.5 Mbps off the equal-weight optimum; holding too ends it at 50, +0.22 in D, which the group-std
 * run learned (session 26's V-D at 50). The floor costs more than that. False for every other turn, and where the
 * gap is within the tolerance.
 */
export function yieldingFloorBroken(task: TurnTask, value: number): boolean {
  if (firmPersonalities.has(task.personality)) return false;
  const move = round2Move(task, value);
  return move !== null && move.closed < teacherShare(move.words, false) - 0.02;
}

/**
 * The share of its gap a party's teacher closes in round 2 for the words its prompt states: the three-round
 * teacher's (`moveByBand`, `firmerMove`) on the `ladder` prompt's "moderately", the split teacher's
 * (`splitMoveOf`) on the `ladder-split` prompt's "somewhat" and "quite a lot". Both teachers make the same moves
 * for "a little" and "a lot" (take or hold, a firm party half way or hold), so the bound and the floor follow the
 * teacher the task's own prompt was written for.
 */
export function teacherShare(words: WeightBand | SplitWeightBand, firm: boolean): number {
  if (words === 'moderately') return moveShare[firm ? firmerMove[moveByBand[words]] : moveByBand[words]];
  return splitMoveShare[splitMoveOf(words, firm)];
}

/**
 * The share of its round-1 gap to MAESTRO's proposal a round-2 answer closes, and the weight's words the prompt
 * states; null off round 2, without the round before, where the gap is within the tolerance or no band is stated.
 */
function round2Move(task: TurnTask, value: number): { closed: number; words: WeightBand | SplitWeightBand } | null {
  const previous = task.game.previous;
  if (task.round !== 2 || previous === undefined) return null;
  const gap = previous.value - previous.proposal;
  if (Math.abs(gap) <= task.game.tolerance) return null;
  const words = statedBandWords(task.messages.map((m) => m.content).join('\n'));
  if (words === undefined) return null;
  return { closed: (previous.value - value) / gap, words };
}

/**
 * The teacher's answer to the task's prompt: the split teacher's (`weighted3SplitValue`) where the prompt is the
 * `ladder-split` one (it says "somewhat" or "quite a lot"; on "a little" and "a lot" the two teachers agree), else
 * the three-round teacher's. It sets `satisfied`'s bar, so a split student is held to its own teacher.
 */
export function teacherAnswer(task: TurnTask): { value: number; reasoning: string } {
  const request = { messages: task.messages, schemaName: 'service_intent', jsonSchema: {}, maxTokens: 1 };
  const words = statedBandWords(task.messages.map((m) => m.content).join('\n'));
  return words === 'somewhat' || words === 'quite a lot' ? weighted3SplitValue(request) : weighted3Value(request);
}

/**
 * Which turns are PPO tasks: a BO's off-mode turns of the `rounds` asked for (round 2 by default), the firm
 * parties' round-2 turns left out. Why round 2 alone by default: from round 3 on every party takes MAESTRO's
 * proposal, and under R a party that holds instead buys distance with a fourth round (on the train turns the
 * best stated value of a round-3 turn lands 2.7 Mbps from the optimum against the recorded 4.3): the four-round
 * ladder's trade, which session 24 gave up for the two-party wall time.
 */
export function isTrainedTurn(
  personality: Personality,
  round: number,
  rounds: readonly number[] = [2],
  firm: FirmTurns = 'out',
): boolean {
  if (!rounds.includes(round) || round < 2) return false;
  return round !== 2 || firm !== 'out' || !firmPersonalities.has(personality);
}

/** The firm parties' round-2 turns: left out, trained under `firmPersonalityTerm`, or within `firmBoundBroken`. */
export const firmTurnsOptions = ['out', 'personality', 'bound'] as const;
export type FirmTurns = (typeof firmTurnsOptions)[number];
/** The yielding parties' round-2 turns: `free` under the team's R, or within `yieldingFloorBroken`. */
export const yieldingTurnsOptions = ['free', 'floor'] as const;
export type YieldingTurns = (typeof yieldingTurnsOptions)[number];

/**
 * The PPO tasks of recorded games: every BO turn answered at the first ask with the value the round kept
 * (select.ts `actedTurns`), in off mode (the ladder prompt; soft mode has the optimizer's value), that
 * `isTrainedTurn` keeps. MAESTRO's turns stay out: its rule is the demands' mean, which it does not know the weights
 * to improve on.
 */
export function turnTasks(
  episodes: readonly Episode[],
  rounds: readonly number[] = [2],
  firm: FirmTurns = 'out',
  yielding: YieldingTurns = 'free',
): TurnTask[] {
  const tasks: TurnTask[] = [];
  for (const episode of episodes) {
    const request = episode.state.request;
    if (request.optimizerMode !== 'off' || episode.turns === null) continue;
    for (const party of request.parties) {
      for (const turn of actedTurns(episode, party.id)) {
        if (!isTrainedTurn(party.personality, turn.round, rounds, firm)) continue;
        const record = episode.state.rounds.find((r) => r.round === turn.round)!;
        const before = episode.state.rounds.find((r) => r.round === turn.round - 1);
        const previousValue = before?.values[party.id];
        const bounds = record.bounds ?? { min: request.topic.min, max: request.topic.max };
        const firmTurn = turn.round === 2 && firmPersonalities.has(party.personality);
        tasks.push({
          id: `${episode.workflowId}/${party.id}/r${turn.round}`,
          scenario: episode.scenario.id,
          agent: party.id,
          personality: party.personality,
          round: turn.round,
          messages: turn.messages.map((m) => ({ role: m.role, content: m.content })),
          recordedAnswer: turn.answer,
          kind: groupOf(turn, 'off'),
          game: {
            parties: request.parties.map((p) => ({ id: p.id, weight: p.weight })),
            values: record.values,
            bounds,
            tolerance: request.tolerance,
            maxRounds: request.maxRounds,
            optimum: episode.state.optimum.value,
            ...(before && previousValue !== undefined
              ? { previous: { value: previousValue, proposal: before.mediator.proposal } }
              : {}),
          },
          ...(firmTurn && firm === 'bound' ? { firmRule: 'bound' as const } : {}),
          ...(turn.round === 2 && !firmTurn && yielding === 'floor' ? { yieldingRule: 'floor' as const } : {}),
        });
      }
    }
  }
  return tasks;
}
