/**
 * Evaluations on the digital twin, as workflows an engineer can start from the Temporal UI or CLI
 * and that training workflows reuse: the activities run on the Python worker's `twin` queue.
 */
import { proxyActivities } from '@temporalio/workflow';
import type {
  BatchInput,
  BatchOutput,
  Orchestration,
  TwinActivities,
  TwinResult,
} from '../../core/twin/orchestration.ts';

export interface TwinEvaluationInput {
  /** Task queue of the Python twin worker (temporal.yaml: taskQueues.twin). */
  twinTaskQueue: string;
}

const twinActivities = (taskQueue: string) =>
  proxyActivities<TwinActivities>({
    taskQueue,
    startToCloseTimeout: '30 minutes',
    // Batches heartbeat after every plan; one link-level plan takes seconds, not minutes.
    heartbeatTimeout: '2 minutes',
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidOrchestration'] },
  });

export async function twinEvaluationWorkflow(
  input: TwinEvaluationInput & {
    orchestration: Orchestration;
    fidelity: 'link' | 'system';
    numSlots?: number;
    seed?: number;
  },
): Promise<TwinResult> {
  const twin = twinActivities(input.twinTaskQueue);
  if (input.fidelity === 'system') return twin.evaluate_system_level({ orchestration: input.orchestration });
  return twin.evaluate_link_level({
    orchestration: input.orchestration,
    num_slots: input.numSlots ?? 20,
    seed: input.seed ?? 0,
  });
}

export async function twinBatchEvaluationWorkflow(
  input: TwinEvaluationInput & { batch: BatchInput },
): Promise<BatchOutput> {
  return twinActivities(input.twinTaskQueue).evaluate_batch(input.batch);
}
