/**
 * Activity timeouts and retry policies: the schema of temporal.yaml's `timeouts` section and the
 * conversion of one entry into `proxyActivities` options. Workflow-safe (no I/O, no Node
 * built-ins): core/config.ts validates the file with it at start, and workflows receive the
 * validated table through the `topologyTimeouts` local activity (workflows/topology.ts), so the
 * values live in temporal.yaml alone.
 */
import type { ActivityOptions } from '@temporalio/common';
import { z } from 'zod';

/** Durations are written as Temporal's duration strings ('2 minutes', '20 seconds', '500ms'). */
export const durationString = z.string().regex(/^\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?)$/, {
  message: "expected a duration such as '30 seconds' or '2 minutes'",
});

/** Temporal's retry policy, every field written out (no server defaults to remember). */
export const retrySchema = z.strictObject({
  initialInterval: durationString,
  backoffCoefficient: z.number().min(1),
  maximumInterval: durationString,
  maximumAttempts: z.number().int().min(1),
});

export const activityTimeoutsSchema = z.strictObject({
  /** One attempt's limit. */
  startToClose: durationString,
  /** How long a silent attempt may go before it counts as lost (for activities that heartbeat). */
  heartbeat: durationString.optional(),
  /** The limit of all attempts together, the wait for a worker included. */
  scheduleToClose: durationString.optional(),
  retry: retrySchema,
});
export type ActivityTimeouts = z.infer<typeof activityTimeoutsSchema>;

export const topologyTimeoutsSchema = z.strictObject({
  /** One BO or mediator turn (activities/agent). */
  agentTurn: activityTimeoutsSchema.extend({ heartbeat: durationString }),
  /** An RS round, a PPO step, an evaluation or a promotion on the Python learner (queue `learner`). */
  learner: activityTimeoutsSchema,
  /** One request to the served 6G-LLM (`orchestrate_task`, queue `sixg`). */
  sixgOrchestration: activityTimeoutsSchema,
  /** A link- or system-level evaluation, or a batch, on the Python twin (queue `twin`). */
  twin: activityTimeoutsSchema,
  /** The cell session's twin check before enforcement: a few system-level plans, or give up quickly. */
  twinCheck: activityTimeoutsSchema,
  /** The cell session's calls to the RAN: enforcement, release, telemetry reads (activities/network). */
  ranEnforcement: activityTimeoutsSchema,
  /** The cell session's switch-off vote (one short agent call per BO). */
  switchOffVote: activityTimeoutsSchema,
  /** Default wall-clock limit of a whole negotiation when the request names no deadline. */
  negotiationRun: durationString,
});
export type TopologyTimeouts = z.infer<typeof topologyTimeoutsSchema>;
/** What a negotiation's input carries (the API and the cell session pass temporal.yaml's in). */
export type AgentTurnTimeouts = TopologyTimeouts['agentTurn'];

/** The local activity every worker registers: the table it validated at start. */
export interface TopologyActivities {
  topologyTimeouts(): Promise<TopologyTimeouts>;
}

/** `proxyActivities` options from one entry; the error types that must not be retried stay with the caller. */
export function activityOptions(timeouts: ActivityTimeouts, nonRetryableErrorTypes: string[] = []): ActivityOptions {
  return {
    startToCloseTimeout: timeouts.startToClose,
    ...(timeouts.heartbeat ? { heartbeatTimeout: timeouts.heartbeat } : {}),
    ...(timeouts.scheduleToClose ? { scheduleToCloseTimeout: timeouts.scheduleToClose } : {}),
    retry: { ...timeouts.retry, nonRetryableErrorTypes },
  };
}
