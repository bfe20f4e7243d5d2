import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBoMessages, buildMediatorMessages, splitWeightBand, weightBand } from '../../activities/agent/prompts.ts';
import type { ChatModel, StructuredChatRequest } from '../../core/llm/chat-model.ts';
import {
  negotiationRequestSchema,
  type BoPromptStyle,
  type NegotiationRequest,
  type Personality,
} from '../../core/negotiation/schemas.ts';
import type { NegotiationState, RoundRecord } from '../../core/negotiation/types.ts';
import {
  concededShare,
  constantPolicy,
  personaValue,
  weightedValue,
  weighted3Value,
  weighted3SplitValue,
  splitMove,
  splitMoveShare,
  statedBand,
  statedBandWords,
  promptOfPolicy,
  randomValue,
  recording,
  rulePolicy,
  ruleValue,
  tacticValue,
} from '../../negotiator/policies.ts';
import { meanConcession, rewardEpisode, statesValue, targetConcession } from '../../negotiator/rewards.ts';
import { drawScenario, drawScenarios, requestOf } from '../../negotiator/scenarios.ts';
import { capBoTurns, capMaestroTurns, focusTurns, selectTurns, type SftRecord } from '../../negotiator/select.ts';
import { bootstrapMean95, comparePaired, inSubset } from '../../negotiator/compare.ts';
import { wilson } from '../../negotiator/summary.ts';
import type { Episode } from '../../negotiator/episode.ts';

const topic = { name: 'throughput of the shared base station', unit: 'Mbps', min: 0, max: 100 };

function requestWith(personalities: [string, string] = ['normal', 'normal']): NegotiationRequest {
  return negotiationRequestSchema.parse({
    topic,
    parties: [
      { id: 'cost', objective: 'cost', target: 20, weight: 1, personality: personalities[0] },
      { id: 'qos', objective: 'qos', target: 80, weight: 1, personality: personalities[1] },
    ],
    maxRounds: 5,
    tolerance: 2,
    optimizerMode: 'off',
  });
}

function roundOf(
  round: number,
  values: Record<string, number>,
  proposal: number,
  extra: Partial<RoundRecord> = {},
): RoundRecord {
  return {
    round,
    values,
    reasoning: Object.fromEntries(Object.entries(values).map(([id, v]) => [id, `I propose ${v} Mbps.`])),
    decision: 'continue',
    spread: Math.max(...Object.values(values)) - Math.min(...Object.values(values)),
    mediator: { proposal, message: `Move to ${proposal} Mbps.`, optimizerProposal: proposal },
    warnings: [],
    llm: { calls: 3, attempts: 3, latencyMs: 0 },
    targetChanges: [],
    ...extra,
  };
}

function stateOf(request: NegotiationRequest, rounds: RoundRecord[], consensus: number | null): NegotiationState {
  const last = rounds.at(-1)!;
  if (consensus !== null) last.decision = 'consensus';
  else last.decision = 'no_consensus';
  return {
    id: 'n-1',
    status: consensus === null ? 'no_consensus' : 'consensus',
    currentRound: rounds.length,
    request,
    rounds,
    consensus: consensus === null ? null : { value: consensus, round: rounds.length },
    optimum: { value: 50 },
    lastValues: last.values,
  };
}

describe('negotiator scenarios (negotiator/scenarios.ts)', () => {
  it('draws the same scenario for the same split and index, different ones across splits', () => {
    assert.deepEqual(drawScenario('train', 3), drawScenario('train', 3));
    assert.notDeepEqual(drawScenario('train', 3).request, drawScenario('heldout', 3).request);
  });
  it('covers 2–10 parties, both modes and every personality, as valid workflow requests', () => {
    const scenarios = drawScenarios('train', 200);
    const sizes = new Set(scenarios.map((s) => s.request.parties.length));
    assert.ok(sizes.has(2) && sizes.has(10) && Math.min(...sizes) === 2 && Math.max(...sizes) === 10);
    assert.deepEqual(new Set(scenarios.map((s) => s.request.optimizerMode)), new Set(['off', 'soft']));
    assert.equal(new Set(scenarios.flatMap((s) => s.request.parties.map((p) => p.personality))).size, 5);
    for (const s of scenarios) requestOf(s); // throws on an invalid request
  });
  it('draws a slice by party count: at most, at least, or refuses an empty range', () => {
    const large = drawScenarios('heldout', 20, 507, 10, 4);
    assert.equal(large.length, 20);
    assert.ok(large.every((s) => s.request.parties.length >= 4));
    const small = drawScenarios('heldout', 20, 507, 3);
    assert.ok(small.every((s) => s.request.parties.length <= 3));
    // the same indices, split by size: no scenario in both
    assert.equal(small.filter((s) => large.some((l) => l.id === s.id)).length, 0);
    assert.throws(() => drawScenarios('train', 1, 0, 3, 4), /none/);
  });
  it('keeps held-out scenarios apart from training ones', () => {
    const key = (s: ReturnType<typeof drawScenario>): string => JSON.stringify(s.request);
    const train = new Set(drawScenarios('train', 300).map(key));
    assert.equal(drawScenarios('heldout', 100).filter((s) => train.has(key(s))).length, 0);
  });
});

describe('negotiator rewards (negotiator/rewards.ts)', () => {
  it('scores a first-round consensus: utility by distance to the target, full agreement, values stated', () => {
    const request = requestWith();
    const reward = rewardEpisode(request, stateOf(request, [roundOf(1, { cost: 50, qos: 51 }, 50)], 50.5));
    const cost = reward.parties.find((p) => p.partyId === 'cost')!;
    assert.equal(reward.consensus, true);
    assert.equal(cost.agreement, 1);
    assert.ok(Math.abs(cost.utility - -(((50.5 - 20) / 100) ** 2)) < 1e-12);
    assert.equal(cost.concession, null);
    assert.equal(cost.validity, 1);
    assert.equal(reward.mediator.errorToOptimum, 0.5);
    assert.equal(reward.mediator.distance, 1 - 0.5 / 25);
  });
  it('punishes no consensus for every agent', () => {
    const request = requestWith();
    const rounds = [1, 2, 3, 4, 5].map((k) => roundOf(k, { cost: 20, qos: 80 }, 50));
    const reward = rewardEpisode(request, stateOf(request, rounds, null));
    for (const p of reward.parties) {
      assert.equal(p.agreement, -1);
      assert.equal(p.utility, -1);
    }
    assert.equal(reward.mediator.distance, -1);
    assert.ok(reward.mediator.total < 0);
  });
  it('measures concession as the share of the gap to MAESTRO’s proposal closed', () => {
    const rounds = [roundOf(1, { cost: 20, qos: 80 }, 60), roundOf(2, { cost: 40, qos: 70 }, 55)];
    assert.equal(meanConcession(rounds, 'cost', 2), 0.5);
    assert.equal(meanConcession(rounds, 'qos', 2), 0.5);
    // a party that moved away is a zero concession, not a negative one
    const away = [roundOf(1, { cost: 20, qos: 80 }, 60), roundOf(2, { cost: 10, qos: 60 }, 55)];
    assert.equal(meanConcession(away, 'cost', 2), 0);
  });
  it('rewards each personality for its own concession rate', () => {
    const play = (personality: string, conceded: number): number => {
      const request = requestWith([personality, 'normal']);
      const rounds = [roundOf(1, { cost: 20, qos: 80 }, 60), roundOf(2, { cost: 20 + 40 * conceded, qos: 60 }, 60)];
      return rewardEpisode(request, stateOf(request, rounds, null)).parties[0]!.personalityScore;
    };
    assert.ok(play('vulnerable', 0.9) > play('vulnerable', 0.2));
    assert.ok(play('disagreeable', 0.2) > play('disagreeable', 0.9));
    assert.ok(targetConcession.vulnerable > targetConcession.agreeable);
    assert.ok(targetConcession.agreeable > targetConcession.normal);
    assert.ok(targetConcession.normal > targetConcession.disagreeable);
  });
  it('wants a toxic party caught by the arbitral unit and an honest one left alone', () => {
    const flagged = (personality: string, isFlagged: boolean): number => {
      const request = requestWith([personality, 'normal']);
      const flags = isFlagged
        ? [{ partyId: 'cost', score: 0.9, reasons: ['threat'], decidedBy: 'classifier' as const }]
        : [];
      const rounds = [roundOf(1, { cost: 20, qos: 80 }, 50, { arbitration: { flags, incentives: [] } })];
      return rewardEpisode(request, stateOf(request, rounds, null)).parties[0]!.personalityScore;
    };
    assert.ok(flagged('toxic', true) > flagged('toxic', false));
    assert.ok(flagged('normal', false) > flagged('normal', true));
  });
  it('counts an answer the optimizer had to replace as invalid', () => {
    const request = requestWith();
    const warning = {
      agent: 'cost',
      unit: 'validation' as const,
      code: 'substituted_by_optimizer' as const,
      message: '',
    };
    const rounds = [roundOf(1, { cost: 50, qos: 51 }, 50, { warnings: [warning] })];
    const reward = rewardEpisode(request, stateOf(request, rounds, 50.5));
    assert.equal(reward.parties[0]!.validity, -1);
    assert.equal(reward.parties[1]!.validity, 1);
  });
  it('reads whether a reasoning states its number', () => {
    assert.equal(statesValue('I hold 42.5 Mbps firmly', 42.5), true);
    assert.equal(statesValue('I hold 42 Mbps', 42.3), true);
    assert.equal(statesValue('I hold my position', 42), false);
    assert.equal(statesValue('round 2 of 5', 42), false);
  });
});

describe('negotiator policies (negotiator/policies.ts) on the real prompt builders', () => {
  const request = requestWith();
  const party = request.parties[0]!;
  const boRequest = (feedbackProposal: number | null): StructuredChatRequest => ({
    messages: buildBoMessages({
      topic,
      party,
      others: [{ id: 'qos', objective: 'qos' }],
      round: feedbackProposal === null ? 1 : 2,
      maxRounds: 5,
      optimizerMode: 'off',
      feedback:
        feedbackProposal === null
          ? null
          : {
              round: 2,
              message: 'Move toward the middle.',
              proposal: feedbackProposal,
              optimizer: { proposal: 50, price: 0, penalty: 1 },
            },
      optimizerProposal: 20,
      context: [],
    }),
    schemaName: 'service_intent',
    jsonSchema: {},
    maxTokens: 64,
  });
  const mediatorRequest: StructuredChatRequest = {
    messages: buildMediatorMessages({
      topic,
      parties: [
        { id: 'cost', objective: 'cost' },
        { id: 'qos', objective: 'qos' },
      ],
      round: 1,
      maxRounds: 5,
      optimizerMode: 'off',
      intents: { cost: { value: 20, reasoning: 'low (cheap)' }, qos: { value: 81, reasoning: 'high' } },
      optimizerProposal: 50,
      context: [],
    }),
    schemaName: 'service_intent',
    jsonSchema: {},
    maxTokens: 64,
  };
  const never: ChatModel = {
    name: 'inner',
    completeJson: () => Promise.reject(new Error('the baseline asked the model')),
  };

  it('the rule opens at the ideal value, then takes MAESTRO’s proposal; MAESTRO proposes the mean', () => {
    assert.equal(ruleValue(boRequest(null)).value, 20);
    assert.equal(ruleValue(boRequest(47.5)).value, 47.5);
    assert.equal(ruleValue(mediatorRequest).value, 50.5);
    // MAESTRO's prompt states the demands' mean (a statistic, not the optimizer's answer).
    assert.match(mediatorRequest.messages[1]!.content, /^Mean of the demands: 50\.5 Mbps\.$/m);
  });
  it('the tactic concedes toward MAESTRO at its personality’s rate and accepts in the last round', () => {
    const tacticRequest = (
      personality: Personality,
      round: number,
      proposal: number | null,
    ): StructuredChatRequest => ({
      ...boRequest(null),
      messages: buildBoMessages({
        topic,
        party: { ...party, personality },
        others: [{ id: 'qos', objective: 'qos' }],
        round,
        maxRounds: 5,
        optimizerMode: 'off',
        feedback:
          proposal === null
            ? null
            : { round, message: 'Meet.', proposal, optimizer: { proposal: 50, price: 0, penalty: 1 } },
        optimizerProposal: 20,
        context: [],
      }),
    });
    assert.equal(tacticValue(tacticRequest('toxic', 1, null)).value, 20);
    assert.match(tacticValue(tacticRequest('toxic', 1, null)).reasoning, /20/);
    // Round 2 of 5, gap 30: a vulnerable party gives up 0.9 of it, a disagreeable one 0.2.
    assert.equal(tacticValue(tacticRequest('vulnerable', 2, 50)).value, 47);
    assert.equal(tacticValue(tacticRequest('disagreeable', 2, 50)).value, 26);
    assert.equal(tacticValue(tacticRequest('normal', 3, 50)).value, 42.5);
    // Within a megabit is agreement; the last round takes the proposal whatever the personality.
    assert.equal(tacticValue(tacticRequest('vulnerable', 3, 50)).value, 50);
    assert.equal(tacticValue(tacticRequest('toxic', 5, 61.3)).value, 61.3);
    assert.match(tacticValue(tacticRequest('toxic', 5, 61.3)).reasoning, /accept MAESTRO's 61\.3/);
    assert.match(tacticValue(tacticRequest('normal', 3, 50)).reasoning, /42\.5/);
    assert.equal(tacticValue(mediatorRequest).value, 50.5);
    for (const p of ['vulnerable', 'agreeable', 'normal', 'disagreeable', 'toxic'] as const) {
      assert.equal(concededShare(p, 1, 5), 0);
      assert.equal(concededShare(p, 5, 5), 1);
      assert.ok(concededShare(p, 3, 5) > concededShare(p, 2, 5));
    }
    assert.ok(concededShare('agreeable', 2, 5) > concededShare('normal', 2, 5));
    // The persona teacher: firm parties hold their ideal value at the first proposal, then take it.
    assert.equal(personaValue(tacticRequest('toxic', 1, null)).value, 20);
    assert.match(personaValue(tacticRequest('toxic', 1, null)).reasoning, /flood the cell/);
    assert.equal(personaValue(tacticRequest('toxic', 2, 50)).value, 20);
    assert.doesNotMatch(personaValue(tacticRequest('toxic', 2, 50)).reasoning, /flood|fools/);
    assert.match(personaValue(tacticRequest('toxic', 2, 50)).reasoning, /20/);
    assert.equal(personaValue(tacticRequest('disagreeable', 2, 50)).value, 20);
    assert.equal(personaValue(tacticRequest('disagreeable', 3, 65)).value, 65);
    for (const p of ['vulnerable', 'agreeable', 'normal'] as const) {
      assert.equal(personaValue(tacticRequest(p, 2, 50)).value, 50);
    }
    assert.equal(personaValue(mediatorRequest).value, 50.5);
  });
  /** A BO's request under the `ladder` prompt (the weighted teachers read it). */
  const ladderRequest = (
    personality: Personality,
    weight: number,
    round: number,
    proposal: number | null,
    optimizerMode: 'off' | 'soft' = 'off',
    style: BoPromptStyle = 'ladder',
  ): StructuredChatRequest => ({
    ...boRequest(null),
    messages: buildBoMessages({
      style,
      topic,
      party: { ...party, personality, weight },
      others: [{ id: 'qos', objective: 'qos' }],
      round,
      maxRounds: 5,
      optimizerMode,
      feedback:
        proposal === null
          ? null
          : { round, message: 'Meet.', proposal, optimizer: { proposal: 50, price: 0, penalty: 1 } },
      optimizerProposal: 44,
      context: [],
    }),
  });
  it('the weighted teacher moves down the ladder its prompt states, less of the way the more its weight', () => {
    const prompt = ladderRequest('normal', 1.6, 2, 50).messages;
    assert.match(prompt[0]!.content, /^The topic matters a lot to you \(your weight: 1\.6\)\.$/m);
    assert.match(
      prompt[1]!.content,
      /^From your ideal 20 toward MAESTRO's 50: a quarter of the way is 27\.5, half is 35, three quarters is 42\.5\.$/m,
    );
    assert.match(
      prompt[1]!.content,
      /^You are normal and the topic matters a lot to you; this is MAESTRO's first proposal\.$/m,
    );
    // the plain prompt, which the rule's and the persona's students read, shows neither
    assert.doesNotMatch(
      boRequest(50)
        .messages.map((m) => m.content)
        .join('\n'),
      /weight|ideal 20 toward/,
    );
    assert.equal(weightBand(0.5), 'a little');
    assert.equal(weightBand(0.875), 'moderately');
    assert.equal(weightBand(1.5), 'a lot');
    // opening at the ideal value; then a quarter, half or three quarters of the way by the weight's band
    assert.equal(weightedValue(ladderRequest('normal', 1.6, 1, null)).value, 20);
    assert.equal(weightedValue(ladderRequest('normal', 1.6, 2, 50)).value, 27.5);
    assert.equal(weightedValue(ladderRequest('agreeable', 1, 3, 50)).value, 35);
    assert.equal(weightedValue(ladderRequest('vulnerable', 0.6, 2, 50)).value, 42.5);
    assert.match(weightedValue(ladderRequest('vulnerable', 0.6, 2, 50)).reasoning, /42\.5/);
    // a firm party holds through the first proposal, then takes the ladder like the others
    assert.equal(weightedValue(ladderRequest('toxic', 0.6, 2, 50)).value, 20);
    assert.equal(weightedValue(ladderRequest('disagreeable', 0.6, 3, 50)).value, 42.5);
    // from round 4 every party takes MAESTRO's proposal
    assert.equal(weightedValue(ladderRequest('toxic', 2, 4, 47.25)).value, 47.25);
    // soft mode shows the optimizer's value, not the ladder: the persona teacher's moves
    assert.doesNotMatch(ladderRequest('normal', 1.6, 2, 50, 'soft').messages[1]!.content, /toward MAESTRO's/);
    assert.equal(weightedValue(ladderRequest('normal', 1.6, 2, 50, 'soft')).value, 50);
    assert.equal(weightedValue(ladderRequest('toxic', 1.6, 2, 50, 'soft')).value, 20);
    assert.equal(weightedValue(mediatorRequest).value, 50.5);
    // rollouts and benches give the weighted teacher the ladder, every other baseline the configured prompt
    assert.equal(promptOfPolicy('weighted'), 'ladder');
    assert.equal(promptOfPolicy('persona'), undefined);
  });
  it('the three-round weighted teacher takes, halves or holds by its band, one move firmer when firm, and takes in round 3', () => {
    // opening at the ideal value
    assert.equal(weighted3Value(ladderRequest('normal', 1.6, 1, null)).value, 20);
    // round 2: a little → MAESTRO's proposal, moderately → the half rung, a lot → the ideal value
    assert.equal(weighted3Value(ladderRequest('vulnerable', 0.6, 2, 50)).value, 50);
    assert.equal(weighted3Value(ladderRequest('agreeable', 1, 2, 50)).value, 35);
    assert.equal(weighted3Value(ladderRequest('normal', 1.6, 2, 50)).value, 20);
    // the reasoning names the band and states the value (issue 15's "reasoning states the numbers")
    assert.match(
      weighted3Value(ladderRequest('agreeable', 1, 2, 50)).reasoning,
      /matters moderately .* half way .*35\.$/,
    );
    assert.match(weighted3Value(ladderRequest('normal', 1.6, 2, 50)).reasoning, /hold my ideal 20\.$/);
    // a firm party makes the next firmer move: a little → half, moderately → hold, a lot → hold
    assert.equal(weighted3Value(ladderRequest('toxic', 0.6, 2, 50)).value, 35);
    assert.equal(weighted3Value(ladderRequest('disagreeable', 1, 2, 50)).value, 20);
    assert.equal(weighted3Value(ladderRequest('toxic', 2, 2, 50)).value, 20);
    assert.match(weighted3Value(ladderRequest('toxic', 0.6, 2, 50)).reasoning, /^I stand firm/);
    // from round 3 every party takes MAESTRO's proposal
    assert.equal(weighted3Value(ladderRequest('toxic', 2, 3, 47.25)).value, 47.25);
    assert.equal(weighted3Value(ladderRequest('vulnerable', 0.6, 3, 47.25)).value, 47.25);
    // soft mode: the persona teacher's moves; MAESTRO: the rule's
    assert.equal(weighted3Value(ladderRequest('normal', 1.6, 2, 50, 'soft')).value, 50);
    assert.equal(weighted3Value(ladderRequest('toxic', 1.6, 2, 50, 'soft')).value, 20);
    assert.equal(weighted3Value(mediatorRequest).value, 50.5);
    assert.equal(promptOfPolicy('weighted3'), 'ladder');
  });
  it("the split teacher moves by the ladder-split prompt's words, 'moderately' split at weight 1.1, and is the three-round teacher elsewhere", () => {
    const split = (personality: Personality, weight: number, round: number, proposal: number | null, mode?: 'soft') =>
      ladderRequest(personality, weight, round, proposal, mode ?? 'off', 'ladder-split');
    // the prompt names the band in words, in the system message and in the round message beside the answer
    const [system, user] = split('agreeable', 1.2, 2, 50).messages.map((m) => m.content);
    assert.match(system!, /The topic matters quite a lot to you \(your weight: 1\.2\)\./);
    assert.match(
      user!,
      /You are agreeable and the topic matters quite a lot to you; this is MAESTRO's first proposal\./,
    );
    assert.equal(splitWeightBand(1.09), 'somewhat');
    assert.equal(splitWeightBand(1.1), 'quite a lot');
    assert.equal(splitWeightBand(0.5), 'a little');
    assert.equal(splitWeightBand(1.5), 'a lot');
    assert.equal(statedBand(user!), 'moderately');
    assert.equal(statedBandWords(user!), 'quite a lot');
    // round 2, ideal 20 toward MAESTRO's 50: a quarter of the way 27.5, half 35, three quarters 42.5
    assert.equal(weighted3SplitValue(split('agreeable', 1, 2, 50)).value, 42.5);
    assert.equal(weighted3SplitValue(split('normal', 1.3, 2, 50)).value, 27.5);
    assert.equal(
      weighted3SplitValue(split('agreeable', 1, 2, 50)).reasoning,
      'The topic matters somewhat to me, so I move three quarters of the way toward MAESTRO: 42.5.',
    );
    assert.match(
      weighted3SplitValue(split('normal', 1.3, 2, 50)).reasoning,
      /^The topic matters quite a lot to me, .*a quarter of the way .*27\.5\.$/,
    );
    // no weight is copied into the reasoning: the words decide
    assert.doesNotMatch(weighted3SplitValue(split('normal', 1.3, 2, 50)).reasoning, /weight|1\.3/);
    // a little → take, a lot → hold, as the three-round teacher
    assert.equal(weighted3SplitValue(split('vulnerable', 0.6, 2, 50)).value, 50);
    assert.equal(weighted3SplitValue(split('normal', 1.6, 2, 50)).value, 20);
    // a firm party two rungs firmer: a little → half, somewhat → a quarter, quite a lot → hold
    assert.equal(weighted3SplitValue(split('toxic', 0.6, 2, 50)).value, 35);
    assert.equal(weighted3SplitValue(split('disagreeable', 1, 2, 50)).value, 27.5);
    assert.equal(weighted3SplitValue(split('disagreeable', 1.2, 2, 50)).value, 20);
    assert.match(
      weighted3SplitValue(split('toxic', 1, 2, 50)).reasoning,
      /^I stand firm and the topic matters somewhat/,
    );
    // the words give the same moves as the weight does in the closed-form simulation (concession.ts)
    for (const weight of [0.6, 0.9, 1.05, 1.1, 1.3, 1.49, 1.5, 1.8])
      for (const personality of ['normal', 'toxic'] as const) {
        const share = splitMoveShare[splitMove(weight, personality === 'toxic')];
        assert.equal(
          weighted3SplitValue(split(personality, weight, 2, 50)).value,
          Math.round((20 + 30 * share) * 10) / 10,
        );
      }
    assert.equal(splitMove(1.1, false), 'a quarter');
    assert.equal(splitMove(1.09, false), 'three quarters');
    assert.equal(splitMove(1.2, true), 'hold');
    // the ladder prompt's "moderately" does not say which half: the split teacher refuses it rather than guess
    assert.throws(() => weighted3SplitValue(ladderRequest('normal', 1.2, 2, 50)), /ladder-split/);
    // round 1, round 3 on, soft mode and MAESTRO: the three-round teacher's answers
    for (const request of [
      split('normal', 1, 1, null),
      split('toxic', 1.2, 3, 47.25),
      split('normal', 1, 2, 50, 'soft'),
      mediatorRequest,
    ])
      assert.deepEqual(weighted3SplitValue(request), weighted3Value(request));
    assert.equal(promptOfPolicy('weighted3split'), 'ladder-split');
  });
  it('the random baseline answers a valid value, the same one for the same turn', () => {
    const values = Array.from(
      { length: 200 },
      (_, i) => randomValue({ ...boRequest(null), turn: { negotiationId: `n${i}`, round: 1, agent: 'cost' } }).value,
    );
    assert.ok(values.every((v) => v >= 0 && v <= 100));
    // spread over the range, not stuck in one part of it
    assert.ok(Math.min(...values) < 10 && Math.max(...values) > 90);
    assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) / values.length - 50) < 8);
    const again = randomValue({ ...boRequest(null), turn: { negotiationId: 'n3', round: 1, agent: 'cost' } });
    assert.equal(again.value, values[3]);
    assert.match(again.reasoning, new RegExp(String(again.value)));
  });
  it('answers as JSON without asking the model; the constant answers the middle of the range', async () => {
    const rule = await rulePolicy(never).completeJson(mediatorRequest);
    assert.equal((JSON.parse(rule.content) as { value: number }).value, 50.5);
    const constant = await constantPolicy(never).completeJson(boRequest(null));
    assert.equal((JSON.parse(constant.content) as { value: number }).value, 50);
  });
  it('records labelled service-intent turns with their messages, attempts counted per agent and round', async () => {
    const inner: ChatModel = {
      name: 'inner',
      completeJson: (req) =>
        Promise.resolve({
          content: `{"value": 1, "reasoning": "t=${req.temperature}"}`,
          promptTokens: 1,
          completionTokens: 1,
          latencyMs: 1,
          model: 'inner',
        }),
    };
    const { model, turns } = recording(inner, { temperature: 0.9 });
    const turn = { negotiationId: 'n-1', round: 1, agent: 'cost' };
    await model.completeJson({ ...boRequest(null), turn });
    await model.completeJson({ ...boRequest(null), turn });
    await model.completeJson({ ...boRequest(null), schemaName: 'judge', turn });
    await model.completeJson(boRequest(null));
    const recorded = turns.get('n-1')!;
    assert.deepEqual(
      recorded.map((t) => t.attempt),
      [0, 1],
    );
    assert.equal(recorded[0]!.temperature, 0.9);
    assert.match(recorded[0]!.answer, /t=0.9/);
    assert.equal(recorded[0]!.messages[0]!.role, 'system');
  });
});

describe('negotiator summary', () => {
  it('gives a Wilson interval that holds the rate', () => {
    const [lo, hi] = wilson(8, 10);
    assert.ok(lo < 0.8 && 0.8 < hi && lo > 0.4 && hi < 1);
    assert.deepEqual(wilson(0, 0), [0, 1]);
  });
});

describe('negotiator selection (rejection sampling over rollouts)', () => {
  const scenario = drawScenario('train', 0);
  const request = requestOf(scenario);
  const ids = request.parties.map((p) => p.id);
  const turn = (negotiationId: string, agent: string, value: number, attempt = 0) => ({
    negotiationId,
    round: 1,
    agent,
    attempt,
    messages: [{ role: 'system' as const, content: `you are ${agent}` }],
    answer: JSON.stringify({ value, reasoning: `I say ${value}` }),
    temperature: 0.9,
  });
  const episode = (id: string, value: number, consensus: boolean): Episode => {
    const values = Object.fromEntries(ids.map((p) => [p, value]));
    const state = stateOf(request, [roundOf(1, values, value)], consensus ? value : null);
    return {
      scenario,
      sample: 0,
      workflowId: id,
      state: { ...state, id },
      wallSeconds: 1,
      reward: rewardEpisode(request, { ...state, optimum: { value: 60 } }),
      turns: ids.map((p) => turn(id, p, value)),
    };
  };

  it('keeps each agent’s turns from its best rollout that reached consensus', () => {
    const records = selectTurns([episode('a', 40, true), episode('b', 60, true), episode('c', 61, false)], {
      requireConsensus: true,
    });
    assert.equal(records.length, ids.length);
    // every BO is best off near its own target; whichever rollout won, the kept answer is one that was acted on
    for (const r of records) assert.match(r.messages.at(-1)!.content, /"value":(40|60)/);
    assert.equal(
      records.every((r) => r.messages.at(-1)!.role === 'assistant'),
      true,
    );
  });
  it('drops turns that needed a retry or whose value the round did not keep, and refuses held-out episodes', () => {
    const retried = episode('a', 40, true);
    retried.turns = [...retried.turns!, turn('a', ids[0]!, 41, 1)];
    retried.turns[1] = turn('a', ids[1]!, 99);
    const kept = selectTurns([retried], { requireConsensus: true });
    assert.deepEqual(
      kept.map((r) => r.agent),
      ids.slice(2),
    );
    const heldout = { ...episode('h', 40, true), scenario: drawScenario('heldout', 0) };
    assert.throws(() => selectTurns([heldout], { requireConsensus: true }), /train only/);
  });
  it('caps the BO turns with a seeded draw and keeps every MAESTRO turn, in order', () => {
    const record = (agent: string, round: number): SftRecord => ({
      messages: [],
      scenario: 's',
      agent,
      round,
      reward: 0,
    });
    const records = Array.from({ length: 30 }, (_, i) => record(i % 3 === 0 ? 'maestro' : `bo-${i}`, i));
    const capped = capBoTurns(records, 5);
    assert.equal(capped.filter((r) => r.agent === 'maestro').length, 10);
    assert.equal(capped.filter((r) => r.agent !== 'maestro').length, 5);
    assert.deepEqual(
      capped.map((r) => r.round),
      [...capped.map((r) => r.round)].sort((a, b) => a - b),
    );
    assert.deepEqual(capBoTurns(records, 5), capped);
    assert.notDeepEqual(capBoTurns(records, 5, 2), capped);
    assert.equal(capBoTurns(records, 100).length, 30);
    const fewerMaestro = capMaestroTurns(records, 3);
    assert.equal(fewerMaestro.filter((r) => r.agent === 'maestro').length, 3);
    assert.equal(fewerMaestro.filter((r) => r.agent !== 'maestro').length, 20);
  });
  it('narrows to the BO turns of the chosen personalities from a round on, and records each BO’s personality', () => {
    const records = selectTurns([episode('a', 40, true)], { requireConsensus: true });
    assert.deepEqual(
      records.map((r) => r.personality),
      request.parties.map((p) => p.personality),
    );
    const firm = request.parties.find((p) => p.personality !== 'normal')!.personality;
    const focused = focusTurns(records, { personalities: [firm], fromRound: 1 });
    assert.ok(focused.length > 0 && focused.every((r) => r.personality === firm && r.agent !== 'maestro'));
    assert.deepEqual(focusTurns(records, { personalities: null, fromRound: 2 }), []);
    assert.deepEqual(focusTurns(records, { personalities: null, fromRound: 1 }), records);
    // and to the turns whose prompt matches (the system message is part of the prompt, the answer is not)
    const first = request.parties[0]!.id;
    const own = focusTurns(records, {
      personalities: null,
      fromRound: 1,
      promptMatches: new RegExp(`^you are ${first}$`, 'm'),
    });
    assert.ok(own.length > 0 && own.every((r) => r.agent === first));
    assert.deepEqual(
      focusTurns(records, { personalities: null, fromRound: 1, promptMatches: /"reasoning":"I accept/ }),
      [],
    );
  });
});

describe('negotiator paired comparison against a baseline', () => {
  const scenario = (index: number) => drawScenario('heldout', index);
  const episode = (index: number, error: number | null): Episode => {
    const s = scenario(index);
    return {
      scenario: s,
      sample: 0,
      workflowId: s.id,
      state: {} as Episode['state'],
      wallSeconds: 1,
      reward: { consensus: error !== null, mediator: { errorToOptimum: error } } as Episode['reward'],
      turns: null,
    };
  };
  const offIndices = Array.from({ length: 40 }, (_, i) => i)
    .filter((i) => scenario(i).request.optimizerMode === 'off')
    .slice(0, 6);

  it('pairs by scenario in one mode, over the games both agreed in', () => {
    const model = offIndices.map((i, k) => episode(i, k === 0 ? null : 2));
    const baseline = offIndices.map((i, k) => episode(i, k === 1 ? null : 5));
    const row = comparePaired(model, baseline, 'off', 'constant');
    assert.equal(row.paired, 4);
    assert.equal(row.meanDifferenceMbps, -3);
    assert.deepEqual(row.ci95, [-3, -3]);
    assert.equal(row.modelCloser, 4);
    assert.equal(row.baselineAgreed, 5);
    assert.equal(comparePaired(model, baseline, 'soft', 'constant').paired, 0);
    const never = comparePaired(
      model,
      offIndices.map((i) => episode(i, null)),
      'off',
      'random',
    );
    assert.equal(never.meanDifferenceMbps, null);
    assert.equal(never.ci95, null);
  });
  it('splits the pairs by whether some party is firm (disagreeable or toxic)', () => {
    const model = offIndices.map((i) => episode(i, 2));
    const baseline = offIndices.map((i) => episode(i, 5));
    const firm = comparePaired(model, baseline, 'off', 'rule', 'firm');
    const rest = comparePaired(model, baseline, 'off', 'rule', 'no-firm');
    assert.equal(firm.paired + rest.paired, offIndices.length);
    const firmCount = offIndices.filter((i) => inSubset(episode(i, 0), 'firm')).length;
    assert.equal(firm.paired, firmCount);
    assert.ok(
      offIndices.every((i) =>
        scenario(i).request.parties.some((p) => p.personality === 'disagreeable' || p.personality === 'toxic')
          ? inSubset(episode(i, 0), 'firm')
          : inSubset(episode(i, 0), 'no-firm'),
      ),
    );
    assert.ok(firm.paired > 0 && rest.paired > 0, 'the drawn scenarios hold both kinds');
    assert.equal(firm.modelMeanErrorMbps, 2);
    assert.equal(rest.baselineMeanErrorMbps, 5);
  });
  it('gives a bootstrap interval around the mean that narrows with more data', () => {
    const few = bootstrapMean95([-4, 0, 4]);
    const many = bootstrapMean95(Array.from({ length: 300 }, (_, i) => [-4, 0, 4][i % 3]!));
    assert.ok(few[0] < 0 && few[1] > 0);
    assert.ok(many[1] - many[0] < few[1] - few[0]);
  });
});
