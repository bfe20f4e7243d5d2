/**
 * The negotiation workflow on the real stack: a Temporal dev server, the real worker and
 * activities, and the local SmolLM2 model. What the model says varies; what is asserted is what
 * must hold whatever it says: the round structure, bounds, the consensus rule, the optimizer's
 * authority in hard mode, and validation's retry-then-substitute path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { negotiationWorkflow } from '../../workflows/negotiation/workflow.ts';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ChatModel } from '../../core/llm/chat-model.ts';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import { closedFormOptimum } from '../../core/optimizer/consensus.ts';
import { negotiationStatusKey } from '../../core/negotiation/search-attributes.ts';
import { changePartyTargetUpdate, negotiationStateQuery } from '../../workflows/negotiation/messages.ts';
import {
  cellTopic,
  negotiationInput,
  negotiationWorker,
  partiesOf,
  realChatModel,
  startTemporal,
} from '../helpers/stack.ts';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

let queueCounter = 0;

/** Starts a negotiation on its own task queue and worker, and runs `body` while the worker serves it. */
async function withNegotiation<T>(
  request: Record<string, unknown>,
  body: (handle: WorkflowHandle<typeof negotiationWorkflow>) => Promise<T>,
  chatModel?: ChatModel,
): Promise<T> {
  const taskQueue = `negotiation-test-${++queueCounter}`;
  const worker = await negotiationWorker(env, taskQueue, chatModel);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof negotiationWorkflow>('negotiationWorkflow', {
      taskQueue,
      // A fixed id per test: the LLM seeds derive from it, so the model answers the same way on every run.
      workflowId: `negotiation-test-${queueCounter}`,
      args: [negotiationInput(request)],
    });
    return body(handle);
  });
}

const negotiate = (request: Record<string, unknown>, chatModel?: ChatModel): Promise<NegotiationState> =>
  withNegotiation(request, (handle) => handle.result(), chatModel);

/** Invariants of every finished negotiation, whatever the model said. */
function assertWellFormed(state: NegotiationState, n: number): void {
  assert.ok(['consensus', 'no_consensus'].includes(state.status), `status ${state.status}`);
  assert.deepEqual(
    state.rounds.map((r) => r.round),
    Array.from({ length: state.rounds.length }, (_, i) => i + 1),
    'rounds are numbered 1..k with none lost or repeated',
  );
  assert.ok(state.rounds.length <= state.request.maxRounds);
  for (const round of state.rounds) {
    assert.equal(Object.keys(round.values).length, n, `round ${round.round} has a value from every party`);
    for (const v of Object.values(round.values))
      assert.ok(v >= cellTopic.min && v <= cellTopic.max, `value ${v} in bounds`);
  }
  const last = state.rounds.at(-1)!;
  if (state.status === 'consensus') {
    assert.ok(last.spread <= state.request.tolerance, 'consensus only when all values lie within ε');
    assert.ok(state.consensus !== null);
    assert.ok(state.consensus.value >= Math.min(...Object.values(last.values)) - 1e-9);
    assert.ok(state.consensus.value <= Math.max(...Object.values(last.values)) + 1e-9);
  } else {
    assert.equal(state.consensus, null);
    assert.equal(state.rounds.length, state.request.maxRounds, 'no consensus only after the last round');
    assert.deepEqual(state.lastValues, last.values, 'no consensus returns the last values');
  }
  const utilities = state.request.parties.map((p) => ({ partyId: p.id, target: p.target, weight: p.weight }));
  assert.ok(Math.abs(state.optimum.value - closedFormOptimum(utilities, cellTopic)) < 1e-9);
}

describe('negotiation workflow (real Temporal, real local LLM)', () => {
  it('two parties, soft optimizer: a well-formed negotiation', async () => {
    const state = await negotiate({
      topic: cellTopic,
      parties: partiesOf(2),
      maxRounds: 4,
      tolerance: 2,
      optimizerMode: 'soft',
    });
    assertWellFormed(state, 2);
    // targets 10 (weight 1) and 120 (weight 2): optimum (10 + 240) / 3
    assert.ok(Math.abs(state.optimum.value - 250 / 3) < 1e-9);
  });

  it('five parties, LLM alone (optimizer off)', async () => {
    const state = await negotiate({
      topic: cellTopic,
      parties: partiesOf(5),
      maxRounds: 3,
      tolerance: 3,
      optimizerMode: 'off',
    });
    assertWellFormed(state, 5);
  });

  for (const n of [2, 10]) {
    it(`${n} parties, hard optimizer: consensus within 0.5 Mbps of the theoretical optimum`, async () => {
      const state = await negotiate({
        topic: cellTopic,
        parties: partiesOf(n),
        maxRounds: 4,
        tolerance: 1,
        optimizerMode: 'hard',
      });
      assertWellFormed(state, n);
      assert.equal(state.status, 'consensus');
      assert.ok(
        Math.abs(state.consensus!.value - state.optimum.value) <= 0.5,
        `${state.consensus!.value} vs ${state.optimum.value}`,
      );
    });
  }

  it('an invalid LLM answer is retried, and replaced by the optimizer when the retry fails too', async () => {
    const real = realChatModel();
    const callsPerTurn = new Map<string, number>();
    // Fault injection around the real model: bo-1 answers garbage on every attempt of round 1,
    // bo-2 only on its first attempt of round 1.
    const faulty: ChatModel = {
      name: real.name,
      async completeJson(request, signal) {
        const party = /business operator (\S+),/.exec(request.messages[0]!.content)?.[1] ?? 'maestro';
        const round = /Round (\d+) of/.exec(request.messages[1]!.content)?.[1];
        const key = `${party}/${round}`;
        const call = (callsPerTurn.get(key) ?? 0) + 1;
        callsPerTurn.set(key, call);
        if (round === '1' && (party === 'bo-1' || (party === 'bo-2' && call === 1))) {
          return {
            content: 'I refuse to answer in JSON',
            promptTokens: 0,
            completionTokens: 0,
            latencyMs: 0,
            model: real.name,
          };
        }
        return real.completeJson(request, signal);
      },
    };
    const state = await negotiate(
      { topic: cellTopic, parties: partiesOf(2), maxRounds: 2, tolerance: 1, optimizerMode: 'soft' },
      faulty,
    );
    assertWellFormed(state, 2);
    const round1 = state.rounds[0]!;
    assert.equal(
      callsPerTurn.get('bo-1/1'),
      2,
      `bo-1 was asked twice (one retry): ${JSON.stringify([...callsPerTurn])}`,
    );
    assert.equal(callsPerTurn.get('bo-2/1'), 2, 'bo-2 recovered on its retry');
    const codes = round1.warnings.filter((w) => w.agent === 'bo-1').map((w) => w.code);
    assert.deepEqual(codes, ['invalid_llm_output', 'substituted_by_optimizer']);
    assert.equal(round1.values['bo-1'], 10, "bo-1's value is its optimizer's (its target before any feedback)");
    assert.ok(!round1.warnings.some((w) => w.agent === 'bo-2' && w.code === 'substituted_by_optimizer'));
    assert.match(round1.reasoning['bo-1']!, /Optimizer value/);
  });

  it("with the `moves` prompt MAESTRO reads the round before: where the parties' moves point", async () => {
    // A scripted model: a BO opens at its ideal value; then bo-1 takes MAESTRO's proposal and bo-2 holds. MAESTRO
    // answers the last statistic its prompt shows. Every MAESTRO prompt is kept.
    const mediatorPrompts: string[] = [];
    const scripted: ChatModel = {
      name: 'scripted',
      completeJson(request) {
        const [system, user] = [request.messages[0]!.content, request.messages[1]!.content];
        const answer = (value: number) =>
          Promise.resolve({
            content: JSON.stringify({ reasoning: `I answer ${value}.`, value }),
            promptTokens: 0,
            completionTokens: 0,
            latencyMs: 0,
            model: 'scripted',
          });
        if (system.startsWith('You are MAESTRO')) {
          mediatorPrompts.push(user);
          const numbers = [...user.matchAll(/: ([\d.]+) Mbps\./g)].map((m) => Number(m[1]));
          return answer(numbers.at(-1)!);
        }
        const ideal = Number(/Your ideal value is ([\d.]+)/.exec(system)![1]);
        const proposal = /MAESTRO proposes ([\d.]+)/.exec(user);
        return answer(proposal && system.includes('operator bo-1') ? Number(proposal[1]) : ideal);
      },
    };
    const play = async (mediatorPrompt: 'mean' | 'moves'): Promise<NegotiationState> => {
      const taskQueue = `negotiation-test-${++queueCounter}`;
      const worker = await negotiationWorker(env, taskQueue, scripted, { mediatorPrompt });
      return worker.runUntil(() =>
        env.client.workflow.execute<typeof negotiationWorkflow>('negotiationWorkflow', {
          taskQueue,
          workflowId: `negotiation-test-${queueCounter}`,
          args: [
            negotiationInput({
              topic: cellTopic,
              parties: partiesOf(2),
              maxRounds: 3,
              tolerance: 2,
              optimizerMode: 'off',
            }),
          ],
        }),
      );
    };
    // targets 10 and 120: MAESTRO proposes their mean, 65; bo-1 takes it (counted 0.5), bo-2 holds 120 (1.3), so the
    // moves point to (0.5·10 + 1.3·120) / 1.8 = 89.44
    const moves = await play('moves');
    assert.equal(mediatorPrompts.length, 2);
    assert.doesNotMatch(mediatorPrompts[0]!, /Where their moves point/, 'round 1 has no moves to read');
    assert.match(mediatorPrompts[1]!, /Mean of the demands: 92.5 Mbps\.\nWhere their moves point: 89.44 Mbps\./);
    assert.equal(moves.rounds[1]!.mediator.proposal, 89.44);
    mediatorPrompts.length = 0;
    const mean = await play('mean');
    assert.ok(mediatorPrompts.length >= 2 && !mediatorPrompts.some((p) => p.includes('moves point')));
    assert.equal(mean.rounds[1]!.mediator.proposal, 92.5);
  });

  it('a target changed mid-negotiation applies from the next round and moves the optimum; bad changes are refused', async () => {
    await withNegotiation(
      {
        topic: cellTopic,
        parties: partiesOf(2),
        maxRounds: 3,
        tolerance: 0.5,
        optimizerMode: 'hard',
      },
      async (handle) => {
        const accepted = await handle.executeUpdate(changePartyTargetUpdate, {
          args: [{ partyId: 'bo-1', target: 40 }],
        });
        assert.ok(accepted.appliesFromRound >= 1);
        const rejectedBecause = (pattern: RegExp) => (err: unknown) => pattern.test(String((err as Error).cause));
        await assert.rejects(
          handle.executeUpdate(changePartyTargetUpdate, { args: [{ partyId: 'nobody', target: 40 }] }),
          rejectedBecause(/unknown party nobody/),
        );
        await assert.rejects(
          handle.executeUpdate(changePartyTargetUpdate, { args: [{ partyId: 'bo-1', target: 999 }] }),
          rejectedBecause(/outside \[0, 134\]/),
        );
        const state = await handle.result();
        assert.equal(state.request.parties[0]!.target, 10, 'the request is kept as sent');
        // bo-1: 40 (w=1), bo-2: 120 (w=2) → (40 + 240) / 3
        assert.ok(Math.abs(state.optimum.value - 280 / 3) < 1e-9);
        assert.deepEqual(
          state.rounds.flatMap((r) => r.targetChanges),
          [{ partyId: 'bo-1', target: 40 }],
        );
        const live = await handle.query(negotiationStateQuery);
        assert.equal(live.status, state.status);
      },
    );
  });

  it('cancelling a running negotiation completes it with status cancelled', async () => {
    await withNegotiation(
      {
        topic: cellTopic,
        parties: partiesOf(3),
        maxRounds: 5,
        tolerance: 0.1,
        optimizerMode: 'off',
      },
      async (handle) => {
        await handle.cancel();
        const state = await handle.result();
        assert.equal(state.status, 'cancelled');
        const description = await handle.describe();
        assert.equal(description.typedSearchAttributes.get(negotiationStatusKey), 'cancelled');
      },
    );
  });

  it('a turn that fails for good fails the negotiation, marked failed for the UI and the API', async () => {
    const broken: ChatModel = {
      name: 'broken',
      completeJson: () => Promise.reject(new RangeError('model answered with an impossible configuration')),
    };
    await withNegotiation(
      {
        topic: cellTopic,
        parties: partiesOf(2),
        maxRounds: 2,
        tolerance: 1,
        optimizerMode: 'soft',
      },
      async (handle) => {
        await assert.rejects(handle.result(), (err: Error) =>
          /negotiation failed: model answered/.test(String(err.cause)),
        );
        const description = await handle.describe();
        assert.equal(description.status.name, 'FAILED');
        assert.equal(description.typedSearchAttributes.get(negotiationStatusKey), 'failed');
        const state = await handle.query(negotiationStateQuery);
        assert.equal(state.status, 'failed');
        assert.equal(state.reason, 'model answered with an impossible configuration');
      },
      broken,
    );
  });
});
