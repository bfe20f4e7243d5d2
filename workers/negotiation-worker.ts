/**
 * The negotiation worker process: hosts the negotiation workflow and the agent-turn activities on
 * the `negotiation` task queue, with the chat model from the environment (local server by default).
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
import { createNegotiationActivities, type AgentDependencies } from '../activities/index.ts';
import { loadConfig, type MaestroConfig } from '../core/config.ts';
import { createChatModel } from '../core/llm/chat-model.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface NegotiationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  agents: AgentDependencies;
  /** A prebuilt workflow bundle (tests build it once per suite). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
}

export async function createNegotiationWorker(options: NegotiationWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createNegotiationActivities(options.agents),
    // Agent turns wait on the model server, which serves one request at a time on two cores:
    // more concurrent turns would only queue there while holding their heartbeat clocks.
    maxConcurrentActivityTaskExecutions: 8,
    ...(options.identity ? { identity: options.identity } : {}),
  });
}

async function main(config: MaestroConfig): Promise<void> {
  const level = (process.env.MAESTRO_LOG_LEVEL ?? 'INFO').toUpperCase() as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createNegotiationWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.topology.taskQueues.negotiation,
    agents: { chatModel: createChatModel(config.model) },
  });
  console.log(
    `[worker] negotiation worker polling ${config.topology.taskQueues.negotiation} on ${config.temporalAddress} (namespace ${config.namespace}), model ${config.model.model} at ${config.model.baseURL}`,
  );
  // Worker.run() stops gracefully on SIGINT/SIGTERM: in-flight activities finish or are retried elsewhere.
  await worker.run();
  await connection.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(loadConfig()).catch((err: unknown) => {
    console.error('[worker] fatal:', err);
    process.exit(1);
  });
}
