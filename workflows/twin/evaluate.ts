/**
 * Evaluations on the digital twin, as workflows an engineer can start from the Temporal UI or CLI
 * and that training workflows reuse: the activities run on the Python worker's `twin` queue.
 */
import { proxyActivities } from '@temporalio/workflow';
import { activityOptions, type ActivityTimeouts } from '../../core/temporal/activity-timeouts.ts';
import { activityTimeouts } from '../topology.ts';
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

/**
 * The twin's activities with temporal.yaml's `timeouts.twin`; a plan the twin rejects stays rejected.
 * Synchronous on purpose: an async function returning the proxy would make it a "thenable" (the
 * proxy answers every property, `then` included) and schedule an activity named `then`.
 */
const twinActivities = (taskQueue: string, timeouts: ActivityTimeouts) =>
  proxyActivities<TwinActivities>({ taskQueue, ...activityOptions(timeouts, ['InvalidOrchestration']) });

export async function twinEvaluationWorkflow(
  input: TwinEvaluationInput & {
    orchestration: Orchestration;
    fidelity: 'link' | 'system';
    numSlots?: number;
    seed?: number;
  },
): Promise<TwinResult> {
  const twin = twinActivities(input.twinTaskQueue, (await activityTimeouts()).twin);
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
  const twin = twinActivities(input.twinTaskQueue, (await activityTimeouts()).twin);
  return twin.evaluate_batch(input.batch);
}
