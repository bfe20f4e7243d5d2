/** Heartbeats while a turn waits on the model, so a dead worker is noticed within the heartbeat timeout. */
import { Context } from '@temporalio/activity';

function currentActivityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // called outside an activity (unit tests, benchmarks)
  }
}

/** Runs `work` with a heartbeat every 2 s and the activity's cancellation signal (none outside an activity). */
export async function withHeartbeat<T>(work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const activityContext = currentActivityContext();
  if (activityContext === null) return work(undefined);
  const timer = setInterval(() => activityContext.heartbeat(), 2_000);
  try {
    return await work(activityContext.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
