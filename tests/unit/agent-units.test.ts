import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractServiceIntent } from '../../activities/agent/extraction.ts';
import { askForIntent } from '../../activities/agent/llm-unit.ts';
import { buildBoMessages, buildMediatorMessages } from '../../activities/agent/prompts.ts';
import {
  applyOptimizerPolicy,
  boundsProblem,
  quotedProposalProblem,
  substituteByOptimizer,
} from '../../activities/agent/validation.ts';
import type { ChatModel, StructuredChatRequest } from '../../core/llm/chat-model.ts';
import { CircuitBreaker, isModelOutage } from '../../activities/agent/circuit-breaker.ts';
import { partySchema } from '../../core/negotiation/schemas.ts';
import { scanQuotes } from '../../negotiator/quotes.ts';

const topic = { name: 'throughput', unit: 'Mbps', min: 0, max: 134 };

describe('extraction unit', () => {
  it('reads clean JSON', () => {
    const out = extractServiceIntent('{"value": 52.5, "reasoning": "fair"}');
    assert.deepEqual(out, { ok: true, intent: { value: 52.5, reasoning: 'fair' }, repaired: false });
  });
  it('repairs code fences, prose around the JSON and numbers written with units', () => {
    const out = extractServiceIntent('Sure!\n```json\n{"value": "60 Mbps", "reasoning": "ok"}\n```');
    assert.equal(out.ok, true);
    assert.ok(out.ok && out.intent.value === 60 && out.repaired);
  });
  it('rejects answers without a usable intent, saying why', () => {
    const noJson = extractServiceIntent('I think 50 is fair');
    assert.ok(!noJson.ok && /no JSON object/.test(noJson.problem));
    const badJson = extractServiceIntent('{"value": 50, "reasoning": }');
    assert.ok(!badJson.ok && /not valid JSON/.test(badJson.problem));
    const noReason = extractServiceIntent('{"value": 50}');
    assert.ok(!noReason.ok && /reasoning/.test(noReason.problem));
    const nanValue = extractServiceIntent('{"value": "lots", "reasoning": "x"}');
    assert.ok(!nanValue.ok && /value/.test(nanValue.problem));
  });
});

describe('validation unit', () => {
  const bounds = { min: 0, max: 134 };
  it('flags values outside the bounds', () => {
    assert.equal(boundsProblem(50, bounds), null);
    assert.match(boundsProblem(150, bounds)!, /outside the allowed range \[0, 134\]/);
    assert.match(boundsProblem(Number.NaN, bounds)!, /finite/);
  });
  it('enforces the optimizer in hard mode beyond half the tolerance', () => {
    const checked = applyOptimizerPolicy({
      agent: 'a',
      value: 70,
      bounds,
      optimizerProposal: 60,
      optimizerMode: 'hard',
      tolerance: 2,
    });
    assert.equal(checked.value, 60);
    assert.equal(checked.substituted, true);
    assert.equal(checked.warnings[0]?.code, 'hard_directive_enforced');
    const close = applyOptimizerPolicy({
      agent: 'a',
      value: 60.5,
      bounds,
      optimizerProposal: 60,
      optimizerMode: 'hard',
      tolerance: 2,
    });
    assert.equal(close.value, 60.5);
  });
  it('only warns in soft mode, and only when far from the optimizer', () => {
    const far = applyOptimizerPolicy({
      agent: 'a',
      value: 130,
      bounds,
      optimizerProposal: 60,
      optimizerMode: 'soft',
      tolerance: 2,
    });
    assert.equal(far.value, 130);
    assert.equal(far.warnings[0]?.code, 'far_from_optimizer');
    const near = applyOptimizerPolicy({
      agent: 'a',
      value: 70,
      bounds,
      optimizerProposal: 60,
      optimizerMode: 'soft',
      tolerance: 2,
    });
    assert.deepEqual(near.warnings, []);
    const off = applyOptimizerPolicy({
      agent: 'a',
      value: 130,
      bounds,
      optimizerProposal: 60,
      optimizerMode: 'off',
      tolerance: 2,
    });
    assert.deepEqual(off.warnings, []);
  });
  it("flags a reasoning that misquotes MAESTRO's proposal (the copying error), within a hundredth of the range", () => {
    const at54 = { proposal: 54, alsoQuotable: [] };
    assert.match(
      quotedProposalProblem("I accept MAESTRO's 5.", at54, bounds)!,
      /quotes MAESTRO's proposal as 5, but MAESTRO proposed 54/,
    );
    assert.match(quotedProposalProblem("I accept MAESTRO's proposal of 60 Mbps.", at54, bounds)!, /as 60/);
    assert.match(quotedProposalProblem("I accept the mediator's 12.5.", at54, bounds)!, /as 12.5/);
    assert.equal(quotedProposalProblem("I accept MAESTRO's 54.", at54, bounds), null);
    assert.equal(
      quotedProposalProblem("I accept MAESTRO's 54.", { proposal: 54.37, alsoQuotable: [] }, bounds),
      null,
      'rounded quotes pass',
    );
    assert.equal(quotedProposalProblem("MAESTRO's 54 is too low; I hold 70.", at54, bounds), null);
    assert.equal(quotedProposalProblem('I hold 70.', at54, bounds), null, 'no quote, nothing to check');
    assert.equal(quotedProposalProblem("I accept MAESTRO's 5.", null, bounds), null, 'round 1 has no proposal');
    // soft mode: taking the optimizer's suggestion and calling it MAESTRO's is not the copying error
    const soft = { proposal: 40, alsoQuotable: [37.77] };
    assert.equal(quotedProposalProblem("I accept MAESTRO's 37.77.", soft, bounds), null);
    assert.match(quotedProposalProblem("I accept MAESTRO's 3.", soft, bounds)!, /MAESTRO proposed 40/);
  });
  it('substitutes the optimizer with a warning', () => {
    const s = substituteByOptimizer('a', 61, 'no valid answer');
    assert.equal(s.value, 61);
    assert.equal(s.warnings[0]?.code, 'substituted_by_optimizer');
  });
});

/** A scripted model: answers from a list and records what it was asked. Used for prompt-level units only. */
function scriptedModel(answers: string[]): ChatModel & { requests: StructuredChatRequest[] } {
  const requests: StructuredChatRequest[] = [];
  return {
    name: 'scripted',
    requests,
    completeJson(request) {
      requests.push(request);
      const content = answers[requests.length - 1] ?? '{}';
      return Promise.resolve({ content, promptTokens: 10, completionTokens: 5, latencyMs: 1, model: 'scripted' });
    },
  };
}

/** One decision with two attempts, on the cell's range. */
const askTwice = (model: ChatModel) =>
  askForIntent(model, {
    messages: [{ role: 'user', content: 'q' }],
    bounds: topic,
    maxAttempts: 2,
    maxTokens: 50,
    seed: 1,
  });

describe('LLM unit', () => {
  it('retries with the problem shown to the model, then returns the valid answer', async () => {
    const model = scriptedModel(['{"value": 500, "reasoning": "greedy"}', '{"value": 70, "reasoning": "fixed"}']);
    const answer = await askTwice(model);
    assert.deepEqual(answer.intent, { value: 70, reasoning: 'fixed' });
    assert.equal(answer.summary.attempts, 2);
    const retryPrompt = model.requests[1]!.messages.at(-1)!.content;
    assert.match(retryPrompt, /outside the allowed range/);
    assert.equal(model.requests[1]!.seed, 2, 'each attempt uses its own seed');
  });
  it("retries an answer that misquotes MAESTRO's proposal, naming the proposal", async () => {
    const model = scriptedModel([
      '{"reasoning": "I accept MAESTRO\'s 5.", "value": 5}',
      '{"reasoning": "I accept MAESTRO\'s 54.", "value": 54}',
    ]);
    const answer = await askForIntent(model, {
      messages: [{ role: 'user', content: 'q' }],
      bounds: topic,
      proposalQuote: { proposal: 54, alsoQuotable: [] },
      maxAttempts: 2,
      maxTokens: 50,
      seed: 1,
    });
    assert.deepEqual(answer.intent, { value: 54, reasoning: "I accept MAESTRO's 54." });
    assert.match(model.requests[1]!.messages.at(-1)!.content, /MAESTRO proposed 54/);
    const unchecked = await askTwice(scriptedModel(['{"reasoning": "I accept MAESTRO\'s 5.", "value": 5}']));
    assert.equal(unchecked.intent?.value, 5, 'without a proposal (round 1) the quote is not checked');
  });
  it('gives up after maxAttempts with every problem recorded', async () => {
    const model = scriptedModel(['nope', '{"value": -3, "reasoning": "x"}']);
    const answer = await askTwice(model);
    assert.equal(answer.intent, null);
    assert.equal(answer.rawValue, -3);
    assert.equal(answer.problems.length, 2);
  });
});

/** A model endpoint that is down: every call fails like the openai client does on a 500. */
function failingModel(name: string): ChatModel & { calls: number } {
  const model = {
    name,
    calls: 0,
    completeJson() {
      model.calls += 1;
      return Promise.reject(Object.assign(new Error('500 Internal Server Error'), { status: 500 }));
    },
  };
  return model;
}

describe('LLM outage', () => {
  it('is an outage answer (the optimizer substitutes), not an exception, and opens the circuit after two', async () => {
    const model = failingModel('down-model');
    const first = await askTwice(model);
    assert.equal(first.intent, null);
    assert.equal(first.outage, true);
    assert.match(first.problems[0]!, /unavailable: 500/);
    assert.equal(model.calls, 1, 'an outage is not retried within the turn');
    await askTwice(model);
    const third = await askTwice(model);
    assert.equal(third.outage, true);
    assert.equal(model.calls, 2, 'the open circuit skips the model');
    assert.match(third.problems[0]!, /circuit open/);
  });
  it('a request the model refuses (4xx) is still an error to surface', async () => {
    const model: ChatModel = {
      name: 'strict-model',
      completeJson: () => Promise.reject(Object.assign(new Error('400 bad schema'), { status: 400 })),
    };
    await assert.rejects(askTwice(model), /400 bad schema/);
  });
  it('the breaker closes again after its cooldown and a success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 1000, now: () => now });
    breaker.recordOutage();
    assert.equal(breaker.state(), 'closed');
    breaker.recordOutage();
    assert.equal(breaker.state(), 'open');
    now = 1001;
    assert.equal(breaker.state(), 'closed', 'the next call probes the model');
    breaker.recordSuccess();
    breaker.recordOutage();
    assert.equal(breaker.state(), 'closed', 'one outage after a success does not open it');
    assert.ok(isModelOutage(Object.assign(new Error('Connection error.'), { name: 'APIConnectionError' })));
    assert.ok(isModelOutage(Object.assign(new Error('Request timed out.'), { name: 'APIConnectionTimeoutError' })));
    assert.equal(isModelOutage(new Error('Unexpected token in JSON')), false);
  });
});

describe('prompts keep private utilities private', () => {
  const me = partySchema.parse({ id: 'bo-a', objective: 'cost', target: 23, weight: 7, personality: 'toxic' });
  const feedback = {
    round: 2,
    message: 'Move toward 61.',
    proposal: 61,
    optimizer: { proposal: 61, price: 4, penalty: 2 },
  };
  it('a BO prompt holds its own target and personality but no other party’s target or weight', () => {
    const text = buildBoMessages({
      topic,
      party: me,
      others: [{ id: 'bo-b', objective: 'qos' }],
      round: 2,
      maxRounds: 5,
      optimizerMode: 'soft',
      feedback,
      optimizerProposal: 61,
      context: [],
    })
      .map((m) => m.content)
      .join('\n');
    assert.match(text, /ideal value is 23 Mbps/);
    assert.match(text, /manipulate/);
    assert.match(text, /bo-b wants it high/);
    assert.match(text, /Your optimizer suggests 61/);
    // bo-b's private target (88) and weight (9) are nowhere in the input, so cannot leak; nor is its demand.
    assert.doesNotMatch(text, /\b88\b|weight/);
  });
  it('the mediator prompt shows demands and the optimizer proposal but no targets or weights', () => {
    const text = buildMediatorMessages({
      topic,
      parties: [
        { id: 'bo-a', objective: 'cost' },
        { id: 'bo-b', objective: 'qos' },
      ],
      round: 1,
      maxRounds: 5,
      optimizerMode: 'hard',
      intents: { 'bo-a': { value: 23, reasoning: 'cheap' }, 'bo-b': { value: 97, reasoning: 'premium' } },
      optimizerProposal: 61,
      context: [],
    })
      .map((m) => m.content)
      .join('\n');
    assert.match(text, /bo-a: 23 \(cheap\)/);
    assert.match(text, /Directive: propose 61/);
    assert.doesNotMatch(text, /target|weight/i);
  });
  it("the `moves` mediator prompt adds where the parties' moves point, last, with the optimizer off from round 2 on", () => {
    const input = {
      topic,
      parties: [
        { id: 'bo-a', objective: 'cost' as const },
        { id: 'bo-b', objective: 'qos' as const },
      ],
      round: 2,
      maxRounds: 5,
      optimizerMode: 'off' as const,
      // bo-a took MAESTRO's 60 (counted 0.5), bo-b held its 100 (1.3): (0.5·20 + 1.3·100) / 1.8 = 77.78
      intents: { 'bo-a': { value: 60, reasoning: 'I take it' }, 'bo-b': { value: 100, reasoning: 'I hold' } },
      optimizerProposal: 61,
      context: [],
      style: 'moves' as const,
      previousRound: { values: { 'bo-a': 20, 'bo-b': 100 }, proposal: 60 },
    };
    const userOf = (i: Parameters<typeof buildMediatorMessages>[0]): string => buildMediatorMessages(i)[1]!.content;
    assert.match(userOf(input), /Mean of the demands: 80 Mbps\.\nWhere their moves point: 77.78 Mbps\.\nYour JSON:/);
    assert.doesNotMatch(userOf({ ...input, style: 'mean' }), /moves point/);
    assert.doesNotMatch(userOf({ ...input, optimizerMode: 'soft' }), /moves point/, "soft: the optimizer's value");
    assert.doesNotMatch(userOf({ ...input, round: 1, previousRound: undefined }), /moves point/, 'no round before');
    // a party new this round (none before) is left out of the statistic, not read as a move
    const joined = { ...input, intents: { ...input.intents, 'bo-c': { value: 5, reasoning: 'new' } } };
    assert.match(userOf(joined), /Where their moves point: 77.78 Mbps/);
    // a maximum lowered since the round before (capacity, a regulatory cap) bounds the line too
    assert.match(userOf({ ...input, bounds: { min: 0, max: 70 } }), /Where their moves point: 70 Mbps/);
  });
  const twoParty = {
    topic,
    party: me,
    others: [{ id: 'bo-b', objective: 'qos' as const }],
    maxRounds: 5,
    optimizerMode: 'soft' as const,
    optimizerProposal: 50,
    context: [],
  };
  it('the system prompt does not change between rounds (the model server reuses its cached prefix)', () => {
    const base = twoParty;
    const r1 = buildBoMessages({ ...base, round: 1, feedback: null });
    const r2 = buildBoMessages({ ...base, round: 2, feedback });
    assert.equal(r1[0]!.content, r2[0]!.content);
    assert.notEqual(r1[1]!.content, r2[1]!.content);
  });
  it('from round 2 the round message restates the personality and which proposal this is, next to the answer', () => {
    const base = { ...twoParty, maxRounds: 12, optimizerMode: 'off' as const };
    const r1 = buildBoMessages({ ...base, round: 1, feedback: null })[1]!.content;
    const r2 = buildBoMessages({ ...base, round: 2, feedback })[1]!.content.split('\n');
    const r11 = buildBoMessages({ ...base, round: 11, feedback })[1]!.content;
    assert.doesNotMatch(r1, /You are toxic/);
    assert.deepEqual(r2.slice(-2), ["You are toxic; this is MAESTRO's first proposal.", 'Your JSON:']);
    assert.match(r11, /this is MAESTRO's proposal number 10\./);
  });
});

describe('negotiator:quotes (negotiator/quotes.ts)', () => {
  it('puts recorded answers to the quote check with the values their prompt showed', () => {
    const messages = (round: string) => [
      { role: 'system' as const, content: 'Topic: the throughput in Mbps, allowed from 0 to 134.' },
      { role: 'user' as const, content: round },
    ];
    const turn = (round: string, reasoning: string) => ({
      negotiationId: 'n',
      round: 3,
      agent: 'bo-1',
      attempt: 0,
      messages: messages(round),
      answer: JSON.stringify({ reasoning, value: 1 }),
      temperature: 0,
    });
    const scan = scanQuotes([
      turn('Round 3 of 5.\nMAESTRO proposes 54 Mbps.', "I accept MAESTRO's 5."),
      turn('Round 3 of 5.\nMAESTRO proposes 54 Mbps.', "I accept MAESTRO's 54."),
      turn(
        'Round 3 of 5.\nMAESTRO proposes 40 Mbps.\nYour optimizer suggests 37.77 Mbps.',
        "I accept MAESTRO's 37.77.",
      ),
      turn('Round 1 of 5.\nMAESTRO asks every operator for an opening proposal.', "MAESTRO's 5."),
    ]);
    assert.equal(scan.answers, 3, 'round 1 shows no proposal');
    assert.equal(scan.quoting, 3);
    assert.deepEqual(
      scan.flagged.map((f) => f.reasoning),
      ["I accept MAESTRO's 5."],
    );
  });
});
