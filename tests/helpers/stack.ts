/**
 * The real stack for integration tests: a Temporal dev server from the project's own `temporal`
 * binary (namespace and search attributes from temporal.yaml), the local model server started by
 * scripts/test.ts, and negotiation workers built from the real activities.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { loadConfig, type MaestroConfig } from '../../core/config.ts';
import type { ChatModel } from '../../core/llm/chat-model.ts';
import { createChatModel } from '../../core/llm/chat-model.ts';
import {
  arbitralFlagCountKey,
  cellIdKey,
  cellSessionPhaseKey,
  negotiationRoundKey,
  negotiationStatusKey,
  optimizerModeKey,
  partyCountKey,
  partyIdsKey,
} from '../../core/negotiation/search-attributes.ts';
import type { AgentDependencies } from '../../activities/index.ts';
import type { RanClient } from '../../activities/network/ran-client.ts';
import { trainingPhaseKey, trainingStepKey } from '../../core/training/search-attributes.ts';
import { temporalBinary } from '../../scripts/services.ts';
import { createNegotiationWorker, workflowsPath } from '../../workers/negotiation-worker.ts';
import type { NegotiationInput } from '../../workflows/negotiation/workflow.ts';
import { negotiationRequestSchema } from '../../core/negotiation/schemas.ts';

export const config: MaestroConfig = loadConfig();

// Worker lifecycle chatter at INFO drowns the test report; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** Every search attribute temporal.yaml declares (the config test keeps the two in sync). */
export const searchAttributeKeys = [
  negotiationStatusKey,
  cellIdKey,
  partyCountKey,
  optimizerModeKey,
  negotiationRoundKey,
  arbitralFlagCountKey,
  partyIdsKey,
  cellSessionPhaseKey,
  trainingPhaseKey,
  trainingStepKey,
];

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary },
      namespace: config.namespace,
      searchAttributes: searchAttributeKeys,
      extraArgs: ['--log-level', 'error'],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;
/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  return bundle;
}

/** The model client for the environment as it is now (scripts may set MODEL_SERVER_PORT after import). */
export const realChatModel = (): ChatModel => createChatModel(loadConfig().model);

export async function negotiationWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  chatModel: ChatModel = realChatModel(),
  agents: Omit<AgentDependencies, 'chatModel'> = {},
  ran?: RanClient,
): Promise<Worker> {
  return createNegotiationWorker({
    connection: env.nativeConnection,
    namespace: config.namespace,
    taskQueue,
    agents: { chatModel, ...agents },
    timeouts: config.topology.timeouts,
    ...(ran ? { ran } : {}),
    workflowBundle: await workflowBundle(),
  });
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
