/**
 * The TypeScript side calls the Python twin worker through Temporal: the activity names and
 * shapes declared in core/twin/orchestration.ts are the ones the worker serves.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { referenceCell } from '../../core/network/slice-operator.ts';
import { chooseCheckedMcs, mcsCeilingOf, twinCheckPlan } from '../../core/network/twin-check.ts';
import { twinResultSchema, type Orchestration } from '../../core/twin/orchestration.ts';
import type { twinBatchEvaluationWorkflow, twinEvaluationWorkflow } from '../../workflows/twin/evaluate.ts';
import { negotiationWorker, startTemporal, startTwinWorker } from '../helpers/stack.ts';

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let twin: ChildProcess;
const twinTaskQueue = 'twin-test';
const taskQueue = 'twin-workflows-test';

before(async () => {
  env = await startTemporal();
  twin = startTwinWorker(env, twinTaskQueue);
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

  it('checks a cell plan: the CQI’s MCS confirmed at its SINR floor, capped when the channel is 3 dB worse', async () => {
    const check = async (sinrMarginDb: number) => {
      const planned = twinCheckPlan(referenceCell, 15, sinrMarginDb);
      assert.equal(planned.kind, 'candidates');
      if (planned.kind !== 'candidates') throw new Error('unreachable');
      const batch = await env.client.workflow.execute<typeof twinBatchEvaluationWorkflow>(
        'twinBatchEvaluationWorkflow',
        {
          taskQueue,
          workflowId: `twin-check-${sinrMarginDb}`,
          args: [
            {
              twinTaskQueue,
              batch: { orchestrations: planned.candidates.map((c) => c.orchestration), fidelity: 'system' },
            },
          ],
        },
      );
      return chooseCheckedMcs(
        planned,
        batch.items.map((item) => item.result),
      );
    };
    const atFloor = await check(0);
    assert.ok(atFloor, 'the twin evaluated the candidates');
    assert.equal(atFloor.cqiMcsIndex, 28, 'CQI 15 of table 1 schedules MCS 28');
    assert.equal(atFloor.mcsIndex, 28, `confirmed: ${JSON.stringify(atFloor)}`);
    assert.ok(atFloor.bler! <= 0.1);
    const worse = await check(3);
    assert.ok(worse);
    assert.ok(worse.cqiMcsBler! > 0.1, `MCS 28 at 19.7 dB: ${JSON.stringify(worse)}`);
    assert.ok(worse.mcsIndex < 28 && worse.bler! <= 0.1, JSON.stringify(worse));
    assert.equal(mcsCeilingOf(worse), worse.mcsIndex);
  });
});
