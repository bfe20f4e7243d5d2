/**
 * One orchestration request to the served 6G-LLM (issue #7, serving): the network plane or an
 * operator (POST /v1/sixg/orchestrations) describes a task, the learner process's
 * `orchestrate_task` (queue `sixg`) asks the promoted model for a plan, validates it and runs it
 * on the twin. A workflow, not a bare call, so each request is durable, retried on a learner that
 * restarts, and visible in the Temporal UI (TrainingPhase = "orchestrate").
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrchestrateTaskResult, SixgServingActivities, SixgTask } from '../../core/training/contracts.ts';
import { trainingPhaseKey } from '../../core/training/search-attributes.ts';
import { activityOptions } from '../../core/temporal/activity-timeouts.ts';
import { activityTimeouts } from '../topology.ts';

export interface SixgOrchestrationInput {
  /** The queue the learner process serves `orchestrate_task` on (temporal.yaml `taskQueues.sixg`). */
  sixgTaskQueue: string;
  task: SixgTask;
  /** The served model to ask; null or absent: `sixg-llm` if served, else the base model. */
  model?: string | null;
  /** Model calls until a valid plan, 1..5 (default 3). */
  attempts?: number;
  /** Valid plans the twin judges before answering, 1..8; null or absent: the learner's default. */
  candidates?: number | null;
  /** Moves the twin may make to trim the chosen plan, 0..8; null or absent: the learner's default. */
  refineMoves?: number | null;
}

export const defaultOrchestrationAttempts = 3;

export async function sixgOrchestrationWorkflow(input: SixgOrchestrationInput): Promise<OrchestrateTaskResult> {
  upsertSearchAttributes([{ key: trainingPhaseKey, value: 'orchestrate' }]);
  const { orchestrate_task } = proxyActivities<SixgServingActivities>({
    taskQueue: input.sixgTaskQueue,
    // temporal.yaml `timeouts.sixgOrchestration`; not a task (the learner's pydantic check): asking
    // again gives the same answer.
    ...activityOptions((await activityTimeouts()).sixgOrchestration, ['InvalidTrainingInput']),
  });
  return orchestrate_task({
    task: input.task,
    model: input.model ?? null,
    attempts: input.attempts ?? defaultOrchestrationAttempts,
    candidates: input.candidates ?? null,
    refine_moves: input.refineMoves ?? null,
  });
}
