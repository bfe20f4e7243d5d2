/**
 * POST /v1/sixg/orchestrations on a real Temporal dev server: the API starts a
 * sixgOrchestrationWorkflow on the training queue (a real worker with the real bundle) and the
 * learner's `orchestrate_task` is stood in for by a recording fake on the sixg queue (the real one
 * is Python and asks the model server: learner/tests covers it). Checks validation, auth, the
 * defaults the activity receives, the answer, a non-retryable rejection and the 202 after the wait.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app.ts';
import type { MaestroConfig } from '../../core/config.ts';
import type {
  OrchestrateTaskInput,
  OrchestrateTaskResult,
  SixgServingActivities,
} from '../../core/training/contracts.ts';
import { trainingPhaseKey } from '../../core/training/search-attributes.ts';
import { orchestrationSchema } from '../../core/twin/orchestration.ts';
import { config, startTemporal, workflowBundle } from '../helpers/stack.ts';
import { authAs, testTenants } from '../helpers/tenants.ts';
import { createTrainingWorker } from '../../workers/training-worker.ts';
import { assertDocumented } from '../helpers/contract.ts';

const testConfig: MaestroConfig = {
  ...config,
  topology: {
    ...config.topology,
    taskQueues: { ...config.topology.taskQueues, training: 'test-training', sixg: 'test-sixg' },
  },
};

const fakeResult: OrchestrateTaskResult = {
  model: 'sixg-llm',
  attempts: [
    { text: '{"mcs_index": 40}', valid: false, reason: 'schema: mcs_index must be <= 28' },
    { text: '{"mcs_index": 10, "num_prbs": 51}', valid: true, reason: null },
  ],
  orchestration: orchestrationSchema.parse({ link: { mcs_index: 10, num_prbs: 51 }, scenario: { snr_db: 15 } }),
  twin: null,
  achieved: { throughput_mbps: 42.5, latency_ms: 1.5, ber: 1e-6 },
  fulfilled: true,
  score: 0.8,
  seconds: 0.01,
};

/** Records every call; a description starting with "reject" is refused as the learner refuses a bad task. */
const received: OrchestrateTaskInput[] = [];
const fakeServing: SixgServingActivities = {
  orchestrate_task(input) {
    received.push(input);
    if (input.task.description.startsWith('reject')) {
      throw ApplicationFailure.create({ type: 'InvalidTrainingInput', message: 'not a task: reject' });
    }
    return Promise.resolve(fakeResult);
  },
};

let env: TestWorkflowEnvironment;
let workersRun: Promise<void>;
let training: Worker;
let serving: Worker;
let server: Server;
let base: string;
/** The same API with no learner on its sixg queue and a short wait: the 202 path. */
let unservedServer: Server;
let unservedBase: string;

async function listen(app: ReturnType<typeof createApp>): Promise<[Server, string]> {
  const s = app.listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  return [s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`];
}

before(async () => {
  env = await startTemporal();
  training = await createTrainingWorker({
    connection: env.nativeConnection,
    namespace: config.namespace,
    taskQueue: testConfig.topology.taskQueues.training,
    timeouts: config.topology.timeouts,
    workflowBundle: await workflowBundle('training'),
  });
  serving = await Worker.create({
    connection: env.nativeConnection,
    namespace: config.namespace,
    taskQueue: testConfig.topology.taskQueues.sixg,
    activities: fakeServing,
  });
  workersRun = Promise.all([training.run(), serving.run()]).then(() => undefined);
  [server, base] = await listen(createApp(env.client, testConfig, { tenants: testTenants, cells: new Map() }));
  const unservedConfig: MaestroConfig = {
    ...testConfig,
    topology: { ...testConfig.topology, taskQueues: { ...testConfig.topology.taskQueues, sixg: 'test-sixg-unserved' } },
  };
  [unservedServer, unservedBase] = await listen(
    createApp(env.client, unservedConfig, { tenants: testTenants, cells: new Map(), sixgOrchestrationWaitMs: 500 }),
  );
});
after(async () => {
  server?.close();
  unservedServer?.close();
  training?.shutdown();
  serving?.shutdown();
  await workersRun;
  await env?.teardown();
});

async function post(body: unknown, headers: Record<string, string> = authAs('operator'), at = base) {
  const res = await fetch(`${at}/v1/sixg/orchestrations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const parsed = (await res.json()) as Record<string, unknown>;
  assertDocumented('POST', '/v1/sixg/orchestrations', res.status, parsed);
  return { status: res.status, body: parsed };
}

const validBody = () => ({
  description: 'a video uplink for a drone inspection',
  qos: { max_delay_ms: 10, min_throughput_mbps: 20, max_ber: 1e-5 },
  scenario: { snr_db: 15 },
});

describe('POST /v1/sixg/orchestrations', () => {
  it('needs an API key (401) and the operator (403)', async () => {
    assert.equal((await post(validBody(), {})).status, 401);
    assert.equal((await post(validBody(), { authorization: 'Bearer nope' })).status, 401);
    const bo = await post(validBody(), authAs('bo-1'));
    assert.equal(bo.status, 403);
    assert.equal(received.length, 0);
  });

  it('400 with the zod issues for a bad body, before anything starts', async () => {
    const noQos: Partial<ReturnType<typeof validBody>> = validBody();
    delete noQos.qos;
    const cases: [unknown, string[]][] = [
      [noQos, ['qos']],
      [{ ...validBody(), qos: { ...validBody().qos, max_ber: 2 } }, ['qos', 'max_ber']],
      [{ ...validBody(), priority: 'high' }, []],
      [{ ...validBody(), scenario: { snr_db: 15, channel_model: 'rayleigh' } }, ['scenario', 'channel_model']],
      [{ ...validBody(), attempts: 6 }, ['attempts']],
      [{ ...validBody(), candidates: 9 }, ['candidates']],
      [{ ...validBody(), refineMoves: 9 }, ['refineMoves']],
      [{ ...validBody(), description: '' }, ['description']],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error, 'invalid_request');
      const issues = res.body.issues as { path: (string | number)[]; message: string }[];
      assert.ok(
        issues.some((i) => JSON.stringify(i.path) === JSON.stringify(path)),
        `${JSON.stringify(body)}: ${JSON.stringify(issues)}`,
      );
    }
    const unknown = await post({ ...validBody(), priority: 'high' });
    assert.match(JSON.stringify(unknown.body.issues), /priority/);
    assert.equal(received.length, 0);
  });

  it('runs the workflow: the activity gets the task with the scenario and attempts defaults; 200 with its answer', async () => {
    const res = await post(validBody());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const workflowId = String(res.body.workflowId);
    assert.match(workflowId, /^sixg-orchestration-[0-9a-f-]{36}$/);
    assert.deepEqual({ ...res.body, workflowId: undefined }, { ...fakeResult, workflowId: undefined });

    assert.equal(received.length, 1);
    assert.deepEqual(received[0], {
      task: {
        id: workflowId,
        description: 'a video uplink for a drone inspection',
        qos: { max_delay_ms: 10, min_throughput_mbps: 20, max_ber: 1e-5 },
        scenario: {
          channel_model: 'awgn',
          snr_db: 15,
          ue_speed_mps: 0,
          carrier_frequency_ghz: 3.5,
          delay_spread_ns: 100,
          // the cell state's defaults: nothing constrained (a caller who omits the state)
          ue_antennas: 4,
          cell_antennas: 8,
          free_prbs: 275,
          measured_csi: true,
          max_ldpc_iterations: 50,
        },
      },
      model: null,
      attempts: 3,
      candidates: null,
      refine_moves: null,
    });
    const description = await env.client.workflow.getHandle(workflowId).describe();
    assert.equal(description.type, 'sixgOrchestrationWorkflow');
    assert.equal(description.taskQueue, 'test-training');
    assert.equal(description.typedSearchAttributes.get(trainingPhaseKey), 'orchestrate');

    const chosen = await post({
      ...validBody(),
      model: 'smollm2-135m-instruct',
      attempts: 1,
      candidates: 2,
      refineMoves: 0,
    });
    assert.equal(chosen.status, 200);
    assert.equal(received[1]?.model, 'smollm2-135m-instruct');
    assert.equal(received[1]?.attempts, 1);
    assert.equal(received[1]?.candidates, 2);
    assert.equal(received[1]?.refine_moves, 0);
  });

  it('a task the learner rejects (InvalidTrainingInput) is not retried: 422 with the workflow id', async () => {
    const before = received.length;
    const res = await post({ ...validBody(), description: 'reject this one' });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error, 'invalid_task');
    assert.match(String(res.body.message), /not a task: reject/);
    assert.match(String((res.body.details as { workflowId: string }).workflowId), /^sixg-orchestration-/);
    assert.equal(received.length - before, 1, 'one attempt only');
  });

  it('202 with the workflow id when no answer comes within the wait; the workflow goes on', async () => {
    const res = await post(validBody(), authAs('operator'), unservedBase);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.status, 'running');
    const handle = env.client.workflow.getHandle(String(res.body.workflowId));
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.terminate('test over');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, { post?: unknown }> };
    assert.ok(doc.paths['/v1/sixg/orchestrations']?.post);
  });
});
