/**
 * The model server fails mid-service (MAESTRO's validation unit: the LLM "can be … temporarily
 * substituted by the optimizer until recovery"). A proxy in front of the real model server answers
 * 500, then refuses connections, then forwards again: negotiations run meanwhile finish on the
 * optimizer's values, marked `llm_unavailable`, never `failed`; once the endpoint is back and the
 * circuit's cooldown has passed, the agents ask the model again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createChatModel } from '../../core/llm/chat-model.ts';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import type { negotiationWorkflow } from '../../workflows/negotiation/workflow.ts';
import { FlakyProxy } from '../../scripts/lib/flaky-proxy.ts';
import { cellTopic, config, negotiationInput, negotiationWorker, partiesOf, startTemporal } from '../helpers/stack.ts';

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let proxy: FlakyProxy;

before(async () => {
  env = await startTemporal();
  proxy = new FlakyProxy(config.model.baseURL);
  await proxy.listen();
  const chatModel = createChatModel({
    ...config.model,
    baseURL: proxy.url(),
    // An outage is found out fast: the point is the substitution, not the client's patience.
    timeoutMs: 20_000,
  });
  worker = await negotiationWorker(env, 'model-outage', chatModel);
  workerRun = worker.run();
});
after(async () => {
  worker?.shutdown();
  await workerRun;
  await proxy?.stop();
  await env?.teardown();
});

const negotiate = async (tag: string): Promise<NegotiationState> => {
  const handle = await env.client.workflow.start<typeof negotiationWorkflow>('negotiationWorkflow', {
    taskQueue: 'model-outage',
    workflowId: `negotiation-outage-${tag}-${Date.now()}`,
    args: [
      negotiationInput({ topic: cellTopic, parties: partiesOf(2), maxRounds: 3, tolerance: 1, optimizerMode: 'soft' }),
    ],
  });
  return handle.result();
};
const codesOf = (state: NegotiationState): string[] => state.rounds.flatMap((r) => r.warnings.map((w) => w.code));

describe('model outage: the optimizer substitutes, the LLM comes back', () => {
  it('a model answering 500 to every call: the negotiation finishes on the optimizer, marked llm_unavailable', async () => {
    proxy.mode = 'error500';
    const state = await negotiate('500');
    assert.notEqual(state.status, 'failed', state.reason);
    assert.ok(['consensus', 'no_consensus'].includes(state.status), state.status);
    assert.ok(codesOf(state).includes('llm_unavailable'), JSON.stringify(codesOf(state)));
    assert.ok(proxy.failed >= 1, 'the model was asked and failed');
  });

  it('a model server that is gone (connections refused): the same, and the circuit stops asking it', async () => {
    await proxy.stop();
    const state = await negotiate('refused');
    assert.notEqual(state.status, 'failed', state.reason);
    assert.ok(codesOf(state).includes('llm_unavailable'));
    // The 500s of the first negotiation opened the circuit: the turns did not even try the endpoint.
    const messages = state.rounds.flatMap((r) => r.warnings.map((w) => w.message)).join(' | ');
    assert.match(messages, /circuit open/);
  });

  it('once the endpoint is back and the circuit’s cooldown (30 s) has passed, the agents ask the model again', async () => {
    proxy.mode = 'forward';
    await proxy.listen(proxy.port);
    await new Promise((r) => setTimeout(r, 31_000));
    const forwardedBefore = proxy.forwarded;
    const state = await negotiate('recovered');
    assert.notEqual(state.status, 'failed', state.reason);
    assert.ok(proxy.forwarded > forwardedBefore, 'model calls went through again');
    assert.ok(!codesOf(state).includes('llm_unavailable'), JSON.stringify(codesOf(state)));
  });
});
