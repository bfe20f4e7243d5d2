/**
 * The training worker process: hosts the RLDTF workflows (rejection sampling, RL training, the
 * retraining pipeline) on the `training` task queue. It runs no activities: the learner's run on
 * the Python worker of the `learner` queue (learner/), next to the GPU or CPU that trains.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { loadConfig } from '../core/config.ts';
import { workflowsPath } from './negotiation-worker.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const level = (process.env.MAESTRO_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.topology.taskQueues.training,
    workflowsPath,
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
