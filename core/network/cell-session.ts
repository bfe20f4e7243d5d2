/**
 * The cell session's state as one contract (zod): what the workflow holds and carries across
 * continue-as-new, what its `cellSessionState` query answers and what `GET /v1/cells/{cellId}/session`
 * serves. The workflow uses the inferred types (workflows/cell-session/types.ts); the API documents
 * and the integration tests check the answer with the same schema.
 */
import { z } from 'zod';
import { approvalOutcomeSchema, approvalPolicySchema, pendingApprovalSchema } from '../intents/approval.ts';
import { intentRecordSchema } from '../intents/schemas.ts';
import { optimizerModeSchema } from '../negotiation/schemas.ts';
import { a1PolicyStatusSchema } from './a1ap.ts';
import { networkIntentSchema, ranCellSchema, switchOffVoteSchema, telemetryReportSchema } from './contracts.ts';
import { twinCheckRecordSchema } from './twin-check.ts';

export const cellSessionPhaseSchema = z.enum(['idle', 'negotiating', 'awaiting_approval', 'enforced', 'switched_off']);

/** When and how a session acts (workflows/cell-session/triggers.ts reads it). */
export const cellSessionPolicySchema = z.object({
  /** Consecutive reports a condition must hold on before the session acts. */
  sustainReports: z.number().int().min(1),
  /** Renegotiate when capacity < consensus × (1 − marginFraction). */
  marginFraction: z.number().min(0).max(1),
  /** Emulated seconds between two network-triggered actions. */
  cooldownS: z.number().min(0),
  /** Recovery needs capacity ≥ the level that caused the action × recoveryFactor (no flapping). */
  recoveryFactor: z.number().min(1),
  /** Negotiation rules of the child negotiations. */
  maxRounds: z.number().int().min(1),
  toleranceMbps: z.number().min(0),
  optimizerMode: optimizerModeSchema,
  /** Telemetry reports handled per run before continue-as-new. */
  reportsPerRun: z.number().int().min(1),
  /** Emulated seconds between two checks that the RIC still holds the enforced A1 policies (absent: 10). */
  a1SyncEveryS: z.number().min(1).optional(),
  /** Whether a consensus waits for the operator before enforcement (absent: it does not). */
  approval: approvalPolicySchema.optional(),
});

/** An intent as the session holds it: the tenant's record plus the operator's weight for that tenant. */
export const sessionIntentSchema = z.object({ record: intentRecordSchema, weight: z.number() });

export const negotiationTriggerSchema = z.enum([
  'intent_conflict',
  'capacity_drop',
  'capacity_recovered',
  'recovered',
  'degraded',
]);

export const negotiationSummarySchema = z.object({
  negotiationId: z.string(),
  trigger: negotiationTriggerSchema,
  startedAtS: z.number(),
  finishedAtS: z.number().nullable(),
  status: z.string().nullable(),
  /** The throughput enforced after it (consensus, or MAESTRO's proposal when none). */
  valueMbps: z.number().nullable(),
  decidedBy: z.enum(['consensus', 'mediator_fallback']).nullable(),
  rounds: z.number().int(),
  capMbps: z.number(),
  /** BOs the arbitral unit warned, penalised or excluded. */
  warned: z.array(z.string()),
});

/** Each A1 policy's status as the RIC last reported it (null: the RIC does not hold it). */
export const a1StatusByIdSchema = z.record(z.string(), a1PolicyStatusSchema.nullable());

export const enforcementRecordSchema = z.object({
  atS: z.number(),
  throughputMbps: z.number(),
  networkIntent: networkIntentSchema,
  a1PolicyIds: z.array(z.string()),
  /** Each policy's A1TD status as the RIC last reported it (enforcement or the periodic sync). */
  a1Status: a1StatusByIdSchema.optional(),
  /** This cell's policies removed from the RIC because their slices left the plan. */
  a1Removed: z.array(z.string()).optional(),
  /** The twin check the plan passed before enforcement (absent: no twin configured or none answered). */
  twinCheck: twinCheckRecordSchema.optional(),
});

/** The last check that the RIC still holds the enforced policies. */
export const a1SyncRecordSchema = z.object({
  atS: z.number(),
  resent: z.array(z.string()),
  repaired: z.array(z.string()),
  /** Why the check failed, when it did. */
  error: z.string().optional(),
});

export const cellEventKinds = [
  'intent_changed',
  'twin_checked',
  'negotiation_started',
  'negotiation_finished',
  'enforced',
  'replanned',
  'switch_off_vote',
  'switched_off',
  'switched_on',
  'warned',
  'enforcement_failed',
  'reverted',
  'a1_resynced',
  'approval_policy',
  'approval_requested',
  'approved',
  'rejected',
  'approval_superseded',
] as const;

export const cellEventSchema = z.object({ tS: z.number(), kind: z.enum(cellEventKinds), message: z.string() });

/** What a session carries across continue-as-new. Fields added later are optional: older carries lack them. */
export const cellSessionCarrySchema = z.object({
  intents: z.array(sessionIntentSchema),
  phase: cellSessionPhaseSchema,
  consensusMbps: z.number().nullable(),
  negotiatedCapMbps: z.number().nullable(),
  enforcement: enforcementRecordSchema.nullable(),
  negotiations: z.array(negotiationSummarySchema),
  events: z.array(cellEventSchema),
  telemetry: z.array(telemetryReportSchema),
  lastActionAtS: z.number().nullable(),
  negotiationCount: z.number().int(),
  run: z.number().int(),
  /** The last switch-off vote, BO by BO. */
  lastVotes: z.array(switchOffVoteSchema),
  /** The operator's approval rule as set by update (absent: the input policy's, else none). */
  approvalPolicy: approvalPolicySchema.optional(),
  /** The consensus waiting for the operator, if any. */
  pendingApproval: pendingApprovalSchema.nullable().optional(),
  /** How the last consensuses that needed approval ended (last 30). */
  approvals: z.array(approvalOutcomeSchema).optional(),
  lastA1Sync: a1SyncRecordSchema.nullable().optional(),
  /** The enforcement before the current one: what a revert on degradation restores. */
  previousEnforcement: enforcementRecordSchema.nullable().optional(),
});

/** The `cellSessionState` query's answer: the carry plus what the session knows of itself. */
export const cellSessionStateSchema = cellSessionCarrySchema.extend({
  cellId: z.string(),
  cell: ranCellSchema,
  policy: cellSessionPolicySchema,
  activeNegotiationId: z.string().nullable(),
  /** The approval rule in force (the carried one, else the policy's). */
  approval: approvalPolicySchema,
});
