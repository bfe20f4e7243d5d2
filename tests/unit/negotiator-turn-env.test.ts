/**
 * The negotiator's PPO environment (negotiator/turn-env.ts, turn-reward-server.ts): an answer is judged by the
 * workflow's own extraction and consensus rule, the game continues as the three-round teacher plays it, and
 * the reward is MAESTRO's D and Q of rewards.ts with the turn's quality.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildBoMessages } from '../../activities/agent/prompts.ts';
import { negotiationRequestSchema, type BoPromptStyle, type Personality } from '../../core/negotiation/schemas.ts';
import type { NegotiationState, RoundRecord } from '../../core/negotiation/types.ts';
import type { Episode } from '../../negotiator/episode.ts';
import type { RecordedTurn } from '../../negotiator/policies.ts';
import { outcomeTerms } from '../../negotiator/rewards.ts';
import { answerLine } from '../../negotiator/turn-reward-server.ts';
import { turnEnvSchemaFile } from '../../negotiator/turns.ts';
import {
  continueGame,
  firmBoundBroken,
  teacherAnswer,
  yieldingFloorBroken,
  firmBoundPenalty,
  firmPersonalityTerm,
  invalidTurnReward,
  isTrainedTurn,
  scoreTurn,
  turnEnvJsonSchema,
  turnTaskSchema,
  turnTasks,
  type TurnTask,
} from '../../negotiator/turn-env.ts';

const topic = { name: 'throughput of the shared base station', unit: 'Mbps', min: 0, max: 100 };

/** The cost party's ladder prompt, MAESTRO at 50 (weight 1.6: the topic matters "a lot" to it). */
function ladderMessages(personality: Personality, round: number, weight = 1.6, style: BoPromptStyle = 'ladder') {
  return buildBoMessages({
    style,
    topic,
    party: { id: 'cost', objective: 'cost', target: 20, weight, personality },
    others: [{ id: 'qos', objective: 'qos' }],
    round,
    maxRounds: 5,
    optimizerMode: 'off',
    feedback: { round, message: 'Meet at 50.', proposal: 50, optimizer: { proposal: 50, price: 0, penalty: 1 } },
    optimizerProposal: 44,
    context: [],
  });
}

/** Round 2 of a two-party game: cost (ideal 20, weight 1.6, "a lot") and qos (ideal 80, weight 0.8), MAESTRO at 50. */
function task(personality: Personality = 'normal', round = 2, qosValue = 80): TurnTask {
  return turnTaskSchema.parse({
    id: `g1/cost/r${round}`,
    scenario: 'train-0001',
    agent: 'cost',
    personality,
    round,
    messages: ladderMessages(personality, round),
    recordedAnswer: JSON.stringify({ reasoning: 'I hold my ideal 20.', value: 20 }),
    game: {
      parties: [
        { id: 'cost', weight: 1.6 },
        { id: 'qos', weight: 0.8 },
      ],
      values: { cost: 20, qos: qosValue },
      bounds: { min: 0, max: 100 },
      tolerance: 2,
      maxRounds: 5,
      optimum: 40,
    },
  });
}

const near = (actual: number | null, expected: number, why = ''): void =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${why} ${actual} ≠ ${expected}`);
/** The ending, its value compared to float rounding (the consensus is a weighted mean). */
function assertEnding(
  ending: { outcome: number | null; rounds: number },
  outcome: number | null,
  rounds: number,
): void {
  assert.equal(ending.rounds, rounds);
  if (outcome === null) assert.equal(ending.outcome, null);
  else near(ending.outcome, outcome);
}

const answer = (value: number, reasoning = `I say ${value}.`) => JSON.stringify({ reasoning, value });

describe('negotiator PPO environment (turn-env.ts)', () => {
  it('continues a round that goes on as the teacher does: MAESTRO proposes the mean, all take it next round', () => {
    // cost holds 20, qos 80: the mean 50 is taken in round 3
    assertEnding(continueGame(task(), 20), 50, 3);
    // cost answers 0: the mean is 40, the optimum
    assertEnding(continueGame(task(), 0), 40, 3);
    // within the tolerance of qos (79 vs 80): consensus now, at the weighted mean (1.6·79 + 0.8·80) / 2.4
    assertEnding(continueGame(task(), 79), (1.6 * 79 + 0.8 * 80) / 2.4, 2);
    // the last round with a spread: no consensus
    assertEnding(continueGame(task('normal', 5), 20), null, 5);
  });

  it("rewards D + ½Q + ½v of the ending, with rewards.ts's terms", () => {
    const held = scoreTurn(task(), answer(20));
    const terms = outcomeTerms({ topic, maxRounds: 5 }, 50, 3, 40);
    near(held.reward, terms.distance + 0.5 * terms.roundsTerm + 0.5 * 1);
    near(held.errorToOptimum, 10);
    // the same value with reasoning silent on the number: v = ½
    const silent = scoreTurn(task(), answer(20, 'I hold my ideal.'));
    near(held.reward - silent.reward, 0.25);
    // nearer the optimum scores more
    assert.ok(scoreTurn(task(), answer(0)).reward > held.reward);
  });

  it('scores what the workflow would reject as invalid, at the least reward', () => {
    for (const text of ['not json', answer(150), '{"value": 20}']) {
      const scored = scoreTurn(task(), text);
      assert.equal(scored.valid, false, text);
      assert.equal(scored.reward, invalidTurnReward);
    }
    // the copying error: the workflow's LLM unit rejects a misquote of MAESTRO's proposal, so the environment does
    const quoting = turnTaskSchema.parse({
      ...task(),
      game: { ...task().game, previous: { value: 20, proposal: 50 } },
    });
    assert.equal(scoreTurn(quoting, answer(5, "I accept MAESTRO's 5.")).valid, false);
    assert.equal(scoreTurn(quoting, answer(50, "I accept MAESTRO's 50.")).valid, true);
  });

  it("is satisfied when the ending is as near the optimum as the three-round teacher's answer", () => {
    // the teacher: "a lot" → hold 20, ending at 50 (10 from the optimum)
    assert.equal(scoreTurn(task(), answer(20)).satisfied, true);
    assert.equal(scoreTurn(task(), answer(0)).satisfied, true);
    assert.equal(scoreTurn(task(), answer(50)).satisfied, false); // takes: 65, 25 away
  });

  it("holds a firm party's round-2 turn to its firmness when its turns are trained", () => {
    // disagreeable cost party: 20 last round, MAESTRO at 50; c* = 0.2
    const firm = turnTaskSchema.parse({
      ...task('disagreeable'),
      game: { ...task().game, previous: { value: 20, proposal: 50 } },
    });
    near(firmPersonalityTerm(firm, 20), 1 - 2 * 0.2); // holds: c = 0
    near(firmPersonalityTerm(firm, 26), 1); // a fifth of the way: c = c*
    near(firmPersonalityTerm(firm, 27.5), 0.9); // the ladder's quarter rung
    near(firmPersonalityTerm(firm, 50), 1 - 2 * 0.8); // takes the proposal
    // the term enters R with ½: a move of c = c* scores ½ more than the same ending without it
    const fitting = scoreTurn(firm, answer(26));
    const plain = scoreTurn({ ...firm, personality: 'normal' }, answer(26));
    near(fitting.reward - plain.reward, 0.5);
    // yielding parties, later rounds and gaps within the tolerance keep none
    assert.equal(firmPersonalityTerm({ ...firm, personality: 'agreeable' }, 20), 0);
    assert.equal(firmPersonalityTerm({ ...firm, round: 3 }, 20), 0);
    assert.equal(
      firmPersonalityTerm({ ...firm, game: { ...firm.game, previous: { value: 49, proposal: 50 } } }, 20),
      0,
    );
    assert.equal(isTrainedTurn('toxic', 2, [2], 'personality'), true);
  });

  it("bounds a firm party's round-2 move by the firm teacher's under `bound`, the team's R within it", () => {
    // disagreeable cost party, the topic "a lot" to it (weight 1.6): the firm move is to hold its 20 against 50
    const firm = turnTaskSchema.parse({
      ...task('disagreeable'),
      game: { ...task().game, previous: { value: 20, proposal: 50 } },
      firmRule: 'bound',
    });
    assert.equal(firmBoundBroken(firm, 20), false);
    assert.equal(firmBoundBroken(firm, 20.5), false); // within 2 % of the gap
    assert.equal(firmBoundBroken(firm, 21), true);
    assert.equal(firmBoundBroken(firm, 10), false); // further from MAESTRO: the team's R judges it
    // a broken bound costs firmBoundPenalty on the same ending, and is never satisfied
    const broken = scoreTurn(firm, answer(35));
    assert.equal(broken.valid, true);
    assert.equal(broken.satisfied, false);
    near(broken.reward, scoreTurn({ ...firm, personality: 'normal' }, answer(35)).reward - firmBoundPenalty);
    // within the bound: R without the personality term
    const held = scoreTurn(firm, answer(20));
    near(held.reward, scoreTurn({ ...firm, personality: 'normal' }, answer(20)).reward);
    assert.equal(held.satisfied, true);
    // the topic "a little" to it (weight 0.5): a firm party may move half way, not take
    const light = turnTaskSchema.parse({
      ...firm,
      messages: ladderMessages('disagreeable', 2, 0.5),
    });
    assert.equal(firmBoundBroken(light, 35), false);
    assert.equal(firmBoundBroken(light, 50), true);
    // yielding parties, round 3 and tasks without the rule are not bound
    assert.equal(firmBoundBroken({ ...firm, personality: 'agreeable' }, 50), false);
    assert.equal(firmBoundBroken({ ...firm, round: 3 }, 50), false);
    near(
      scoreTurn({ ...firm, firmRule: undefined }, answer(35)).reward,
      scoreTurn({ ...firm, personality: 'normal' }, answer(35)).reward + 0.5 * firmPersonalityTerm(firm, 35),
    );
    assert.equal(isTrainedTurn('toxic', 2, [2], 'bound'), true);
  });

  it("holds a yielding party's round-2 move to at least its teacher's under the floor, the mirror of the bound", () => {
    // agreeable cost party, the topic moderately to it (weight 1): the yielding move is half way from 20 to 50
    const yielding = turnTaskSchema.parse({
      ...task('agreeable'),
      messages: ladderMessages('agreeable', 2, 1),
      game: { ...task().game, previous: { value: 20, proposal: 50 } },
      yieldingRule: 'floor',
    });
    assert.equal(yieldingFloorBroken(yielding, 35), false);
    assert.equal(yieldingFloorBroken(yielding, 34.5), false); // within 2 % of the gap
    assert.equal(yieldingFloorBroken(yielding, 34), true);
    assert.equal(yieldingFloorBroken(yielding, 20), true); // holding: Fig. 3a's V-D lost
    assert.equal(yieldingFloorBroken(yielding, 50), false); // further toward MAESTRO: the team's R judges it
    const held = scoreTurn(yielding, answer(20));
    assert.equal(held.satisfied, false);
    near(held.reward, scoreTurn({ ...yielding, yieldingRule: undefined }, answer(20)).reward - firmBoundPenalty);
    near(
      scoreTurn(yielding, answer(35)).reward,
      scoreTurn({ ...yielding, yieldingRule: undefined }, answer(35)).reward,
    );
    // the topic "a little" to it: take the proposal; "a lot": hold is its move, so no floor binds
    assert.equal(yieldingFloorBroken({ ...yielding, messages: ladderMessages('agreeable', 2, 0.5) }, 40), true);
    assert.equal(yieldingFloorBroken({ ...yielding, messages: ladderMessages('agreeable', 2, 1.8) }, 20), false);
    // firm parties and round 3 are not floored
    assert.equal(yieldingFloorBroken({ ...yielding, personality: 'toxic' }, 20), false);
    assert.equal(yieldingFloorBroken({ ...yielding, round: 3 }, 20), false);
  });

  it('holds a ladder-split task to the split teacher: its answer, its bound and its floor', () => {
    // weight 1.3 reads "quite a lot" (a quarter of the way), 0.95 "somewhat" (three quarters); from 20 to 50
    const at = (personality: Personality, weight: number) =>
      turnTaskSchema.parse({
        ...task(personality),
        messages: ladderMessages(personality, 2, weight, 'ladder-split'),
        game: { ...task().game, previous: { value: 20, proposal: 50 } },
      });
    assert.equal(teacherAnswer(at('normal', 1.3)).value, 27.5);
    assert.equal(teacherAnswer(at('normal', 0.95)).value, 42.5);
    assert.equal(teacherAnswer(at('toxic', 0.95)).value, 27.5, 'a firm party two rungs firmer: a quarter');
    assert.equal(teacherAnswer(at('toxic', 1.3)).value, 20, 'a quarter, two rungs firmer: hold');
    // on the plain ladder the same weight reads "moderately": half way, whatever the split says
    assert.equal(teacherAnswer({ ...at('normal', 1.3), messages: ladderMessages('normal', 2, 1.3) }).value, 35);
    // the floor: a yielding "somewhat" party must close three quarters; the bound: a firm one no more than a quarter
    assert.equal(yieldingFloorBroken(at('normal', 0.95), 35), true);
    assert.equal(yieldingFloorBroken(at('normal', 0.95), 42.5), false);
    assert.equal(yieldingFloorBroken(at('normal', 1.3), 27.5), false);
    assert.equal(yieldingFloorBroken(at('normal', 1.3), 22), true);
    assert.equal(firmBoundBroken(at('toxic', 0.95), 27.5), false);
    assert.equal(firmBoundBroken(at('toxic', 0.95), 35), true);
    assert.equal(firmBoundBroken(at('toxic', 1.3), 21), true);
    // satisfied means as near the optimum as the split teacher's own answer
    assert.equal(scoreTurn(at('normal', 1.3), answer(27.5)).satisfied, true);
  });

  it("trains a BO's round-2 turns by default, the firm parties' left to their personality", () => {
    assert.equal(isTrainedTurn('agreeable', 2), true);
    assert.equal(isTrainedTurn('toxic', 2), false);
    assert.equal(isTrainedTurn('toxic', 3), false);
    assert.equal(isTrainedTurn('toxic', 3, [2, 3]), true);
    assert.equal(isTrainedTurn('normal', 1, [1, 2]), false);
  });

  it("makes tasks of a recorded off-mode game's acted BO turns, with the round's demands", () => {
    const request = negotiationRequestSchema.parse({
      topic,
      parties: [
        { id: 'cost', objective: 'cost', target: 20, weight: 1.6, personality: 'normal' },
        { id: 'qos', objective: 'qos', target: 80, weight: 0.8, personality: 'toxic' },
      ],
      maxRounds: 5,
      tolerance: 2,
      optimizerMode: 'off',
    });
    const record = (round: number, values: Record<string, number>, proposal: number): RoundRecord => ({
      round,
      values,
      reasoning: {},
      decision: 'continue',
      spread: 0,
      mediator: { proposal, message: '', optimizerProposal: proposal },
      warnings: [],
      llm: { calls: 0, attempts: 0, latencyMs: 0 },
      targetChanges: [],
    });
    const turn = (agent: string, round: number, value: number, attempt = 0): RecordedTurn => ({
      negotiationId: 'g1',
      round,
      agent,
      attempt,
      temperature: 0,
      messages: ladderMessages(agent === 'qos' ? 'toxic' : 'normal', round),
      answer: answer(value),
    });
    const state = {
      id: 'g1',
      status: 'consensus',
      currentRound: 3,
      request,
      rounds: [
        record(1, { cost: 20, qos: 80 }, 50),
        record(2, { cost: 20, qos: 80 }, 50),
        record(3, { cost: 50, qos: 50 }, 50),
      ],
      consensus: { value: 50, round: 3 },
      optimum: { value: 40 },
      lastValues: { cost: 50, qos: 50 },
    } as NegotiationState;
    const episode = {
      scenario: { id: 'train-0001' },
      workflowId: 'g1',
      state,
      turns: [turn('cost', 1, 20), turn('cost', 2, 20), turn('qos', 2, 80), turn('cost', 3, 50), turn('qos', 3, 50)],
    } as unknown as Episode;
    const tasks = turnTasks([episode]);
    // cost's round 2; the toxic qos party's round 2 is its personality's
    assert.deepEqual(
      tasks.map((t) => t.id),
      ['g1/cost/r2'],
    );
    // with round 3 asked for: both parties' round-3 turns too
    assert.deepEqual(
      turnTasks([episode], [2, 3]).map((t) => t.id),
      ['g1/cost/r2', 'g1/cost/r3', 'g1/qos/r3'],
    );
    assert.deepEqual(tasks[0]!.game.values, { cost: 20, qos: 80 });
    assert.deepEqual(tasks[0]!.game.previous, { value: 20, proposal: 50 });
    assert.equal(tasks[0]!.kind, 'bo off r2 a lot yielding'); // negotiator:agreement's group of the turn
    assert.equal(tasks[0]!.game.optimum, 40);
    // under `bound` the toxic party's round-2 turn is a task, bound; the others carry no rule
    const bound = turnTasks([episode], [2, 3], 'bound');
    assert.deepEqual(
      bound.map((t) => [t.id, t.firmRule]),
      [
        ['g1/cost/r2', undefined],
        ['g1/cost/r3', undefined],
        ['g1/qos/r2', 'bound'],
        ['g1/qos/r3', undefined],
      ],
    );
    // with the yielding floor: the yielding party's round-2 turn alone carries it
    assert.deepEqual(
      turnTasks([episode], [2, 3], 'bound', 'floor').map((t) => [t.id, t.firmRule, t.yieldingRule]),
      [
        ['g1/cost/r2', undefined, 'floor'],
        ['g1/cost/r3', undefined, undefined],
        ['g1/qos/r2', 'bound', undefined],
        ['g1/qos/r3', undefined, undefined],
      ],
    );
    // soft mode: no task
    assert.deepEqual(
      turnTasks([{ ...episode, state: { ...state, request: { ...request, optimizerMode: 'soft' } } }]),
      [],
    );
  });

  it('answers the learner one line per request, and an error line for a bad one', () => {
    const tasks = new Map([[task().id, task()]]);
    const good = JSON.parse(answerLine(tasks, JSON.stringify({ id: task().id, text: answer(20) }))) as {
      reward: number;
    };
    near(good.reward, scoreTurn(task(), answer(20)).reward);
    assert.match(answerLine(tasks, JSON.stringify({ id: 'nope', text: 'x' })), /"error":"no task nope"/);
    assert.match(answerLine(tasks, 'not json'), /"error":"bad request line/);
  });
});

describe('the PPO environment contract (negotiator/turn-env.schema.json)', () => {
  it('is what the zod schemas say (npm run negotiator:turns -- --write-schema rewrites it)', () => {
    const committed = JSON.parse(readFileSync(turnEnvSchemaFile, 'utf8')) as unknown;
    assert.deepEqual(committed, JSON.parse(JSON.stringify(turnEnvJsonSchema())));
  });
});
