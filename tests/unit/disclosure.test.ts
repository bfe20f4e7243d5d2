/**
 * The privacy guarantee of docs/NEGOTIATION.md: what a BO receives from MAESTRO depends on the other
 * parties only through the weighted optimum of their utilities, never on a single party's demand,
 * target or weight.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { publicSentence, withheldNumber } from '../../activities/agent/disclosure.ts';
import { createMediatorTurn, type MediatorTurnInput } from '../../activities/agent/mediator-turn.ts';
import { buildBoMessages } from '../../activities/agent/prompts.ts';
import type { ChatModel } from '../../core/llm/chat-model.ts';
import { partySchema } from '../../core/negotiation/schemas.ts';
import type { MediatorFeedback } from '../../core/negotiation/types.ts';

const topic = { name: 'throughput', unit: 'Mbps', min: 0, max: 134 };

describe('MAESTRO’s public sentence', () => {
  it('keeps the proposal, the bounds and round counts, and withholds every other number', () => {
    const said = publicSentence(
      'bo-2 asks 88.8 and bo-3 1,200; meet at 55.5 Mbps (0–134) by round 3.',
      [55.5, 0, 134, 3],
    );
    assert.equal(said, `bo-2 asks ${withheldNumber} and bo-3 ${withheldNumber}; meet at 55.5 Mbps (0–134) by round 3.`);
  });
  it('compares at the two decimals a prompt prints, withholds signed and bare-decimal numbers, keeps ids', () => {
    assert.equal(publicSentence('aim for 61.333', [61.33]), 'aim for 61.333');
    assert.equal(publicSentence('aim for 61.33', [61.333]), 'aim for 61.33');
    assert.equal(publicSentence('aim for 61.34', [61.33]), `aim for ${withheldNumber}`);
    assert.equal(publicSentence('from -5 or .7 up', [0]), `from ${withheldNumber} or ${withheldNumber} up`);
    assert.equal(publicSentence('op7 and bo-12 at 3', [3]), 'op7 and bo-12 at 3');
    assert.equal(publicSentence('this 5G cell: 88.8Mbps', []), `this 5G cell: ${withheldNumber}Mbps`);
  });
});

/** A model that answers with the directive's value and quotes every demand it was shown, as an indiscreet mediator would. */
const quotingModel: ChatModel = {
  name: 'quoting',
  completeJson(request) {
    const prompt = request.messages.map((m) => m.content).join('\n');
    const directive = Number(/Directive: propose ([\d.]+)/.exec(prompt)![1]);
    const demands = [...prompt.matchAll(/^(bo-\w+): ([\d.]+)/gm)].map((m) => `${m[1]} wants ${m[2]}`);
    const content = JSON.stringify({ value: directive, reasoning: `${demands.join(', ')}; all move to ${directive}.` });
    return Promise.resolve({ content, promptTokens: 10, completionTokens: 10, latencyMs: 1, model: 'quoting' });
  },
};

function mediatorInput(others: { id: string; target: number; weight: number }[]): MediatorTurnInput {
  const parties = [{ id: 'bo-a', target: 20, weight: 1 }, ...others].map((p, i) =>
    partySchema.parse({ ...p, objective: i % 2 === 0 ? 'cost' : 'qos' }),
  );
  return {
    negotiationId: 'negotiation-privacy',
    round: 1,
    maxRounds: 5,
    topic,
    parties,
    optimizerMode: 'hard',
    tolerance: 1,
    // hard mode's opening demands are the targets: the worst case for disclosure
    intents: Object.fromEntries(parties.map((p) => [p.id, { value: p.target, reasoning: `I need ${p.target}` }])),
  };
}

/** What bo-a can see: the feedback it receives, at the precision a prompt prints. */
function seenByA(feedback: MediatorFeedback) {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    message: feedback.message,
    proposal: round(feedback.proposal),
    optimizer: {
      proposal: round(feedback.optimizer.proposal),
      price: round(feedback.optimizer.price),
      penalty: feedback.optimizer.penalty,
    },
  };
}

describe('what a BO learns from MAESTRO', () => {
  const runMediatorTurn = createMediatorTurn({ chatModel: quotingModel });
  // Two worlds with the same Σ w·t and Σ w over bo-b and bo-c (60 + 2·100 = 40 + 2·110 = 260, Σ w = 3)
  // but different targets and opening demands for both.
  const worldX = mediatorInput([
    { id: 'bo-b', target: 60, weight: 1 },
    { id: 'bo-c', target: 100, weight: 2 },
  ]);
  const worldY = mediatorInput([
    { id: 'bo-b', target: 40, weight: 1 },
    { id: 'bo-c', target: 110, weight: 2 },
  ]);

  it('is the same in two worlds where the others differ in targets and demands but not in their weighted optimum', async () => {
    const [x, y] = await Promise.all([runMediatorTurn(worldX), runMediatorTurn(worldY)]);
    assert.equal(x.decision, 'continue');
    assert.equal(y.decision, 'continue');
    assert.deepEqual(seenByA(x.feedback['bo-a']!), seenByA(y.feedback['bo-a']!));
    assert.ok(Math.abs(x.feedback['bo-a']!.proposal - 70) < 0.01, 'the proposal is the weighted optimum, 280 / 4');
    // the operator's record keeps what MAESTRO's model said, demands included
    assert.match(x.message, /bo-b wants 60/);
  });

  it('reaches bo-a’s prompt without any other party’s demand', async () => {
    const x = await runMediatorTurn(worldX);
    const prompt = buildBoMessages({
      topic,
      party: worldX.parties[0]!,
      others: [
        { id: 'bo-b', objective: 'qos' },
        { id: 'bo-c', objective: 'cost' },
      ],
      round: 2,
      maxRounds: 5,
      optimizerMode: 'soft',
      feedback: x.feedback['bo-a']!,
      optimizerProposal: 70,
      context: [],
    })
      .map((m) => m.content)
      .join('\n');
    assert.match(prompt, /MAESTRO proposes 70 Mbps/);
    assert.match(prompt, new RegExp(`bo-b wants \\${withheldNumber}`));
    assert.doesNotMatch(prompt, /\b(60|100)\b/);
  });
});
