/**
 * The TypeScript side calls the Python twin worker through Temporal: the activity names and
 * shapes declared in core/twin/orchestration.ts are the ones the worker serves.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { projectRoot } from '../../core/config.ts';
import { twinResultSchema, type Orchestration } from '../../core/twin/orchestration.ts';
import { venvBin } from '../../scripts/services.ts';
import type { twinBatchEvaluationWorkflow, twinEvaluationWorkflow } from '../../workflows/twin/evaluate.ts';
import { negotiationWorker, startTemporal } from '../helpers/stack.ts';

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let twin: ReturnType<typeof spawn>;
const twinTaskQueue = 'twin-test';
const taskQueue = 'twin-workflows-test';

before(async () => {
  env = await startTemporal();
  twin = spawn(
    venvBin('python'),
    [
      '-m',
      'twin_bridge.worker',
      '--address',
      env.address,
      '--namespace',
      env.namespace ?? 'maestro',
      '--task-queue',
      twinTaskQueue,
      '--processes',
      '1',
    ],
    { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  worker = await negotiationWorker(env, taskQueue);
  workerRun = worker.run();
});
after(async () => {
  twin?.kill('SIGTERM');
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
});

const plan = (mcs: number, snrDb: number): Orchestration => ({
  link: { mcs_index: mcs, num_prbs: 24, bandwidth_mhz: 10 },
  scenario: { snr_db: snrDb, channel_model: 'awgn' },
});

const evaluate = (args: Parameters<typeof twinEvaluationWorkflow>[0]) =>
  env.client.workflow.execute<typeof twinEvaluationWorkflow>('twinEvaluationWorkflow', {
    taskQueue,
    workflowId: `twin-${Math.random().toString(36).slice(2)}`,
    args: [args],
  });

describe('digital twin through Temporal (Python worker on the twin queue)', () => {
  it('evaluates a plan at system level and at link level', async () => {
    const system = twinResultSchema.parse(
      await evaluate({ twinTaskQueue, orchestration: plan(10, 25), fidelity: 'system' }),
    );
    assert.equal(system.fidelity, 'system');
    assert.ok(system.bler < 0.01, `BLER ${system.bler} at 25 dB`);
    const link = twinResultSchema.parse(
      await evaluate({ twinTaskQueue, orchestration: plan(10, 25), fidelity: 'link', numSlots: 4 }),
    );
    assert.equal(link.fidelity, 'link');
    assert.equal(link.num_slots, 4);
    assert.equal(link.tbs_bits, system.tbs_bits, 'both fidelities size the same transport block');
  });

  it('refuses an invalid plan with InvalidOrchestration, and keeps serving', async () => {
    const invalid = { ...plan(10, 10), link: { ...plan(10, 10).link, num_prbs: 200 } };
    await assert.rejects(evaluate({ twinTaskQueue, orchestration: invalid, fidelity: 'system' }), (err: Error) => {
      const text =
        JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err.cause) + String((err.cause as Error)?.cause);
      return /exceeds the 24 PRBs/.test(text);
    });
    const after = await evaluate({ twinTaskQueue, orchestration: plan(5, 10), fidelity: 'system' });
    assert.equal(after.fidelity, 'system');
  });

  it('evaluates a batch with per-item errors, and serves repeats from the cache', async () => {
    const plans = [plan(5, 5), plan(15, 5), { ...plan(5, 5), link: { ...plan(5, 5).link, num_layers: 2 } }];
    const run = () =>
      env.client.workflow.execute<typeof twinBatchEvaluationWorkflow>('twinBatchEvaluationWorkflow', {
        taskQueue,
        workflowId: `twin-batch-${Math.random().toString(36).slice(2)}`,
        args: [{ twinTaskQueue, batch: { orchestrations: plans, fidelity: 'system' } }],
      });
    const first = await run();
    assert.equal(first.items.length, 3);
    assert.equal(first.invalid, 1);
    assert.match(first.items[2]!.error!, /num_layers 2 exceeds num_tx_antennas 1/);
    assert.ok(first.items[0]!.result!.bler < first.items[1]!.result!.bler, 'MCS 15 fails more than MCS 5 at 5 dB');
    const second = await run();
    assert.equal(second.cache_hits, 2);
    assert.equal(second.evaluated, 0);
    assert.ok(second.items[0]!.result!.cache_hit);
  });
});
