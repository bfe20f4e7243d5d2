/**
 * Activity timeouts come from temporal.yaml, not from workflow code: a training worker given a
 * changed `timeouts` table schedules the 6G-LLM's activity with exactly those values (read through
 * the topology's local activity and recorded in history), on a real Temporal dev server. Nobody
 * serves the activity's queue, so the test reads the scheduling event and terminates the run.
 * (Runs recorded before the move replay through the old path: tests/integration/replay.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { TopologyTimeouts } from '../../core/temporal/activity-timeouts.ts';
import { scenarioConfigSchema } from '../../core/twin/orchestration.ts';
import { createTrainingWorker } from '../../workers/training-worker.ts';
import { config, startTemporal, workflowBundle } from '../helpers/stack.ts';

const taskQueue = 'test-timeouts-training';
const changed: TopologyTimeouts = {
  ...config.topology.timeouts,
  sixgOrchestration: {
    startToClose: '7 minutes',
    scheduleToClose: '53 minutes',
    retry: { initialInterval: '3 seconds', backoffCoefficient: 1.5, maximumInterval: '40 seconds', maximumAttempts: 4 },
  },
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
before(async () => {
  env = await startTemporal();
  worker = await createTrainingWorker({
    connection: env.nativeConnection,
    namespace: config.namespace,
    taskQueue,
    timeouts: changed,
    workflowBundle: await workflowBundle('training'),
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const seconds = (d: { seconds?: { toString(): string } | null; nanos?: number | null } | null | undefined): number =>
  Number(d?.seconds?.toString() ?? 0) + (d?.nanos ?? 0) / 1e9;

it("schedules the served 6G-LLM's activity with the worker's temporal.yaml timeouts", async () => {
  const handle = await env.client.workflow.start('sixgOrchestrationWorkflow', {
    taskQueue,
    workflowId: `timeouts-${Date.now()}`,
    args: [
      {
        sixgTaskQueue: 'test-timeouts-nobody-serves',
        task: {
          id: 't1',
          description: 'a sensor uplink',
          qos: { max_delay_ms: 10, min_throughput_mbps: 5, max_ber: 1e-5 },
          scenario: scenarioConfigSchema.parse({ snr_db: 12 }),
        },
      },
    ],
  });
  let scheduled;
  for (let i = 0; i < 100 && !scheduled; i++) {
    const history = await handle.fetchHistory();
    scheduled = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )?.activityTaskScheduledEventAttributes;
    if (!scheduled) await sleep(100);
  }
  await handle.terminate('test done');
  assert.ok(scheduled, 'the activity was scheduled');
  assert.equal(scheduled.activityType?.name, 'orchestrate_task');
  assert.equal(seconds(scheduled.startToCloseTimeout), 7 * 60);
  assert.equal(seconds(scheduled.scheduleToCloseTimeout), 53 * 60);
  const retry = scheduled.retryPolicy;
  assert.equal(seconds(retry?.initialInterval), 3);
  assert.equal(retry?.backoffCoefficient, 1.5);
  assert.equal(seconds(retry?.maximumInterval), 40);
  assert.equal(retry?.maximumAttempts, 4);
  assert.deepEqual(retry?.nonRetryableErrorTypes, ['InvalidTrainingInput'], 'the code keeps what is not tuning');

  // the patch and the local activity that read the table are in history: a replay takes the same path
  const markers = ((await handle.fetchHistory()).events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName);
  assert.ok(markers.includes('core_patch') && markers.includes('core_local_activity'), String(markers));
});
