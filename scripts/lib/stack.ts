/**
 * The real stack as tests, benchmarks and scripts start it: a Temporal dev server from the
 * project's own `temporal` binary (namespace and search attributes from temporal.yaml), the
 * workflow bundle, negotiation workers built from the real activities (the model server is the
 * caller's: scripts/test.ts starts it for the tests), and the reference negotiation inputs.
 * Importing it starts nothing; the first server or worker it starts quiets the worker runtime's logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createContextUnits } from '../../activities/agent/context-unit-set.ts';
import type { ContextUnit } from '../../activities/agent/context-units.ts';
import type { AgentDependencies } from '../../activities/index.ts';
import type { Southbound } from '../../activities/network/southbound.ts';
import { loadConfig, projectRoot, type MaestroConfig } from '../../core/config.ts';
import type { ChatModel } from '../../core/llm/chat-model.ts';
import { createChatModel } from '../../core/llm/chat-model.ts';
import { createEmbeddings } from '../../core/llm/embeddings.ts';
import { projectCorpus } from '../../core/regulatory/sources.ts';
import { ingestCorpus } from '../../core/regulatory/vector-index.ts';
import { negotiationRequestSchema } from '../../core/negotiation/schemas.ts';
import { createNegotiationWorker, workflowsPath } from '../../workers/negotiation-worker.ts';
import { trainingWorkflowsPath } from '../../workers/training-worker.ts';
import type { NegotiationInput } from '../../workflows/negotiation/workflow.ts';
import { temporalBinary, venvBin } from '../services.ts';

export const config: MaestroConfig = loadConfig();

let runtimeChosen = false;
/**
 * Worker lifecycle chatter at INFO drowns a test report or a benchmark's progress; warnings and
 * errors still show. Run by the first server or worker this module starts; a caller that installed
 * its own runtime before keeps it.
 */
function quietWorkerLogs(): void {
  if (runtimeChosen) return;
  runtimeChosen = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // a runtime exists already (the caller's choice): leave it
  }
}

const searchAttributeTypes = {
  Keyword: SearchAttributeType.KEYWORD,
  KeywordList: SearchAttributeType.KEYWORD_LIST,
  Int: SearchAttributeType.INT,
  Double: SearchAttributeType.DOUBLE,
  Bool: SearchAttributeType.BOOL,
  Datetime: SearchAttributeType.DATETIME,
  Text: SearchAttributeType.TEXT,
} as const;

/** Every search attribute temporal.yaml declares, as the dev server registers them. */
export const searchAttributeKeys = Object.entries(config.topology.searchAttributes).map(([name, type]) =>
  defineSearchAttributeKey(name, searchAttributeTypes[type]),
);

/** A dev server for this process; in memory, or in `dbFilename` (a benchmark that resumes). */
export async function startTemporal(options: { dbFilename?: string } = {}): Promise<TestWorkflowEnvironment> {
  quietWorkerLogs();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary },
      namespace: config.namespace,
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      searchAttributes: searchAttributeKeys,
      extraArgs: ['--log-level', 'error'],
    },
  });
}

const bundlePaths = {
  negotiation: workflowsPath,
  training: trainingWorkflowsPath,
  /** Every workflow type: what a replay of any recorded history needs. */
  all: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
};
const bundles = new Map<keyof typeof bundlePaths, Promise<WorkflowBundleWithSourceMap>>();
/** A worker's workflow bundle (the negotiation worker's by default), built once per process. */
export function workflowBundle(which: keyof typeof bundlePaths = 'negotiation'): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(which);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath: bundlePaths[which], logger: new DefaultLogger('WARN') });
    bundles.set(which, bundle);
  }
  return bundle;
}

/** The model client for the environment as it is now (scripts may set MODEL_SERVER_PORT after import). */
export const realChatModel = (): ChatModel => createChatModel(loadConfig().model);

export async function negotiationWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  chatModel: ChatModel = realChatModel(),
  agents: Omit<AgentDependencies, 'chatModel'> = {},
  southbound?: Southbound,
): Promise<Worker> {
  return createNegotiationWorker({
    connection: env.nativeConnection,
    namespace: config.namespace,
    taskQueue,
    // the BO and MAESTRO prompts the configured negotiator reads, unless the caller says otherwise
    agents: { chatModel, boPrompt: loadConfig().boPrompt, mediatorPrompt: loadConfig().mediatorPrompt, ...agents },
    timeouts: config.topology.timeouts,
    ...(southbound ? { southbound } : {}),
    workflowBundle: await workflowBundle(),
  });
}

/** The Python twin worker (Sionna) on `taskQueue` of this environment, one evaluation process; stop it with kill(). */
export function startTwinWorker(env: TestWorkflowEnvironment, taskQueue: string): ChildProcess {
  return spawn(
    venvBin('python'),
    [
      '-m',
      'twin_bridge.worker',
      '--address',
      env.address,
      '--namespace',
      env.namespace ?? 'maestro',
      '--task-queue',
      taskQueue,
      '--processes',
      '1',
    ],
    { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

export function negotiationInput(request: unknown): NegotiationInput {
  return {
    request: negotiationRequestSchema.parse(request),
    agentTurnTimeouts: config.topology.timeouts.agentTurn,
  };
}

/** n parties alternating cost and QoS objectives, targets spread over the cell's range. */
export function partiesOf(n: number, personality = 'normal'): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `bo-${i + 1}`,
    objective: i % 2 === 0 ? 'cost' : 'qos',
    target: 10 + Math.round((110 * i) / Math.max(1, n - 1)),
    weight: 1 + (i % 3),
    personality,
  }));
}

export const cellTopic = { name: 'throughput of shared cell A', unit: 'Mbps', min: 0, max: 134 };

/**
 * A cell the regulatory unit can ground: n78, 40 MHz at 30 kHz, one layer, 64QAM, DDDSU 10:2:2.
 * By TS 38.306 §4.1.2 its downlink maximum is 126.39 Mbps; rule SH-1 caps it at 113.75 Mbps.
 */
export const n78Cell = {
  band: 'n78',
  channelBandwidthMHz: 40,
  subcarrierSpacingKHz: 30,
  modulation: '64QAM',
  directionFraction: 52 / 70,
} as const;
export const n78CellCapMbps = 113.75;
/** The cell's throughput topic, with a range wider than the cell can deliver. */
export const cappedCellTopic = { ...cellTopic, max: 300, cell: n78Cell };

/** Every contextual unit on the configured endpoints, after bringing the project's regulatory index up to date. */
export async function readyContextUnits(config: MaestroConfig, chatModel: ChatModel): Promise<readonly ContextUnit[]> {
  const embeddings = createEmbeddings(config.embeddings);
  await ingestCorpus({
    sources: [projectCorpus],
    indexDir: config.regulatoryIndexDir,
    embeddings,
    embeddingModel: config.embeddings.model,
  });
  return createContextUnits({
    chatModel,
    embeddings,
    regulatoryIndexDir: config.regulatoryIndexDir,
    judge: config.arbitralJudge,
  });
}
