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
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createContextUnits } from '../activities/agent/context-unit-set.ts';
import { createNegotiationActivities, type AgentDependencies } from '../activities/index.ts';
import { createTopologyActivities } from '../activities/topology.ts';
import type { TopologyTimeouts } from '../core/temporal/activity-timeouts.ts';
import { createSouthbound, type Southbound } from '../activities/network/southbound.ts';
import { loadConfig, type MaestroConfig } from '../core/config.ts';
import { createChatModel } from '../core/llm/chat-model.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { createNegotiationMetrics, serveMetrics, type NegotiationMetrics } from '../core/observability/metrics.ts';
import type { NegotiationSinks } from '../core/observability/sinks.ts';

/** This worker's workflow bundle: negotiations, cell sessions, twin evaluations. */
export const workflowsPath = fileURLToPath(new URL('../workflows/negotiation-bundle.ts', import.meta.url));

export interface NegotiationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  agents: AgentDependencies;
  /** temporal.yaml's `timeouts`, which the workflows read through a local activity. */
  timeouts: TopologyTimeouts;
  /** The RAN and the RIC's A1-P the slice operator enforces on (cell sessions); omitted, enforcement fails. */
  southbound?: Southbound;
  /** A prebuilt workflow bundle (tests build it once per suite). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
}

/** Workflow sinks → Prometheus; never called during replay, so replays do not count twice. */
function metricsSinks(metrics: NegotiationMetrics | undefined): WorkerOptions['sinks'] {
  const sinks: NegotiationSinks['metrics'] = {
    negotiationStarted: (e) => metrics?.started.inc({ optimizer_mode: e.optimizerMode }),
    negotiationFinished: (e) => {
      metrics?.finished.inc({ status: e.status });
      metrics?.rounds.observe(e.rounds);
      metrics?.duration.observe(e.durationMs / 1000);
    },
  };
  return {
    metrics: {
      negotiationStarted: {
        fn: (_info, e: Parameters<typeof sinks.negotiationStarted>[0]) => sinks.negotiationStarted(e),
        callDuringReplay: false,
      },
      negotiationFinished: {
        fn: (_info, e: Parameters<typeof sinks.negotiationFinished>[0]) => sinks.negotiationFinished(e),
        callDuringReplay: false,
      },
    },
  };
}

export async function createNegotiationWorker(options: NegotiationWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: {
      ...createNegotiationActivities(options.agents, options.southbound),
      ...createTopologyActivities(options.timeouts),
    },
    sinks: metricsSinks(options.agents.metrics),
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
  const chatModel = createChatModel(config.model);
  const metrics = createNegotiationMetrics();
  const metricsServer = await serveMetrics(metrics.registry, config.metricsPort);
  const contextUnits = createContextUnits({
    chatModel,
    embeddings: createEmbeddings(config.embeddings),
    regulatoryIndexDir: config.regulatoryIndexDir,
    judge: config.arbitralJudge,
  });
  const worker = await createNegotiationWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.topology.taskQueues.negotiation,
    agents: { chatModel, contextUnits, metrics, boPrompt: config.boPrompt, mediatorPrompt: config.mediatorPrompt },
    timeouts: config.topology.timeouts,
    southbound: createSouthbound(config.ranUrl, config.a1Url),
  });
  const indexNote = existsSync(path.join(config.regulatoryIndexDir, 'manifest.json'))
    ? `regulatory index ${config.regulatoryIndexDir}`
    : `no regulatory index yet at ${config.regulatoryIndexDir} (npm run corpus:ingest)`;
  console.log(
    `[worker] negotiation worker polling ${config.topology.taskQueues.negotiation} on ${config.temporalAddress} (namespace ${config.namespace}), model ${config.model.model} at ${config.model.baseURL}, ${indexNote}, metrics on http://127.0.0.1:${config.metricsPort}/metrics`,
  );
  // Worker.run() stops gracefully on SIGINT/SIGTERM: in-flight activities finish or are retried elsewhere.
  await worker.run();
  metricsServer.close();
  await connection.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(loadConfig()).catch((err: unknown) => {
    console.error('[worker] fatal:', err);
    process.exit(1);
  });
}
