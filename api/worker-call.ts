/**
 * Calls that need a worker to answer (queries and updates replay the workflow on one): bounded, so
 * a request does not hang while no worker polls. Past the bound the API answers 503, and the
 * workflow is untouched; the call can be repeated (target changes set a value; intent updates
 * carry versions).
 */
import { isGrpcDeadlineError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { HttpError } from './errors.ts';

/** How long a query or update may wait for a worker (AppDependencies.workerAnswerMs overrides it). */
export const defaultWorkerAnswerMs = 10_000;

export const workerUnavailable = (what: string, ms: number): HttpError =>
  new HttpError(
    503,
    'worker_unavailable',
    `${what}: no worker answered within ${ms / 1000} s; the workflow goes on, try again`,
  );

export async function askWorker<T>(client: Client, what: string, ms: number, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await client.withDeadline(started + ms, call);
  } catch (err) {
    // The server says DEADLINE_EXCEEDED ("query timed out before a worker could process it"), or
    // grpc-js cancels the call itself when the deadline passes first (CANCELLED; for an update,
    // WorkflowUpdateRPCTimeoutOrCancelledError)
    const pastDeadline = Date.now() - started >= ms;
    if (isGrpcDeadlineError(err) || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || pastDeadline) {
      throw workerUnavailable(what, ms);
    }
    throw err;
  }
}
