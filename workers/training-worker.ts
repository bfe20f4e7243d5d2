/**
 * The training worker process: hosts the RLDTF workflows (rejection sampling, RL training, the
 * retraining pipeline, orchestration requests) on the `training` task queue. Its only activity is
 * the topology's local one: the learner's run on the Python worker of the `learner` queue
 * (learner/), next to the GPU or CPU that trains.
 */
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogLevel,
  type WorkerOptions,
} from '@temporalio/worker';
import { createTopologyActivities } from '../activities/topology.ts';
import { loadConfig } from '../core/config.ts';
import type { TopologyTimeouts } from '../core/temporal/activity-timeouts.ts';

/** This worker's workflow bundle: the RLDTF workflows and orchestration requests. */
export const trainingWorkflowsPath = fileURLToPath(new URL('../workflows/training-bundle.ts', import.meta.url));

export interface TrainingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** temporal.yaml's `timeouts`, which the workflows read through a local activity. */
  timeouts: TopologyTimeouts;
  /** A prebuilt workflow bundle (tests build it once per suite). */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createTrainingWorker(options: TrainingWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: trainingWorkflowsPath }),
    activities: createTopologyActivities(options.timeouts),
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const level = (process.env.MAESTRO_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createTrainingWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.topology.taskQueues.training,
    timeouts: config.topology.timeouts,
  });
  console.log(
    `[training] training worker polling ${config.topology.taskQueues.training} on ${config.temporalAddress} (namespace ${config.namespace})`,
  );
  await worker.run();
  await connection.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error('[training] fatal:', err);
    process.exit(1);
  });
}
