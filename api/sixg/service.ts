/**
 * What POST /v1/sixg/orchestrations does in Temporal terms: start a sixgOrchestrationWorkflow on
 * the training queue (the TypeScript training worker runs it; its activity runs on the learner's
 * `sixg` queue) and wait a bounded time for its result.
 */
import { randomUUID } from 'node:crypto';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { MaestroConfig } from '../../core/config.ts';
import type { OrchestrateTaskResult } from '../../core/training/contracts.ts';
import type { SixgOrchestrationInput, sixgOrchestrationWorkflow } from '../../workflows/training/orchestrate.ts';
import { HttpError } from '../errors.ts';
import type { OrchestrationRequest } from './schemas.ts';

/** How long a request waits for the answer before it gets the workflow id to look it up by. */
export const defaultOrchestrationWaitMs = 3 * 60_000;

export type OrchestrationOutcome =
  { done: true; workflowId: string; result: OrchestrateTaskResult } | { done: false; workflowId: string };

/** The innermost failure of a chain (workflow → activity → the Python ApplicationError). */
function rootCause(err: Error): Error {
  let current: Error = err;
  while (current.cause instanceof Error) current = current.cause;
  return current;
}

export class SixgService {
  private readonly client: Client;
  private readonly config: MaestroConfig;
  private readonly waitMs: number;
  constructor(client: Client, config: MaestroConfig, waitMs = defaultOrchestrationWaitMs) {
    this.client = client;
    this.config = config;
    this.waitMs = waitMs;
  }

  async orchestrate(request: OrchestrationRequest): Promise<OrchestrationOutcome> {
    const workflowId = `sixg-orchestration-${randomUUID()}`;
    const input: SixgOrchestrationInput = {
      sixgTaskQueue: this.config.topology.taskQueues.sixg,
      task: { id: workflowId, description: request.description, qos: request.qos, scenario: request.scenario },
      model: request.model ?? null,
      attempts: request.attempts,
      candidates: request.candidates ?? null,
      refineMoves: request.refineMoves ?? null,
    };
    const handle = await this.client.workflow.start<typeof sixgOrchestrationWorkflow>('sixgOrchestrationWorkflow', {
      workflowId,
      taskQueue: this.config.topology.taskQueues.training,
      args: [input],
      // The activity gives up after 20 minutes unserved; this only stops a stuck workflow for good.
      workflowExecutionTimeout: '1 hour',
    });
    // The long poll for the result is abandoned (not left hanging) when the wait is over.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.waitMs);
    try {
      const result = await this.client.withAbortSignal(abort.signal, () => handle.result());
      return { done: true, workflowId, result };
    } catch (err) {
      if (abort.signal.aborted) return { done: false, workflowId };
      if (err instanceof WorkflowFailedError) {
        const cause = rootCause(err);
        const invalid = cause instanceof ApplicationFailure && cause.type === 'InvalidTrainingInput';
        throw new HttpError(
          invalid ? 422 : 502,
          invalid ? 'invalid_task' : 'orchestration_failed',
          `${workflowId}: ${cause.message}`,
          { workflowId, ...(err.cause instanceof ActivityFailure ? { retryState: err.cause.retryState } : {}) },
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
