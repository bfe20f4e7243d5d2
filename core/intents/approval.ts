/**
 * Operator approval of a consensus before it is enforced (the cell session's `decideConsensus` and
 * `setApprovalPolicy` updates, `POST /v1/cells/{cellId}/approval`, `PUT …/approval-policy`). One
 * schema per contract: the API validates with it and the workflow's validators apply the same rules.
 */
import { z } from 'zod';

/** Longest an operator may take; the cell runs on its previous setting meanwhile. */
export const maxApprovalTimeoutS = 7 * 24 * 3600;

export const approvalPolicySchema = z.strictObject({
  /** When true, a negotiated consensus waits for the operator before it is enforced. */
  required: z.boolean(),
  /** Seconds (workflow time) the consensus waits for a decision before `onTimeout` applies. */
  timeoutS: z.number().int().min(1).max(maxApprovalTimeoutS).default(300),
  /** What happens when nobody answers in time: enforce it, or keep the previous setting. */
  onTimeout: z.enum(['approve', 'reject']).default('approve'),
});
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;

export const noApproval: ApprovalPolicy = { required: false, timeoutS: 300, onTimeout: 'approve' };

export const approvalDecisionSchema = z
  .strictObject({
    /** The negotiation whose consensus is decided: a decision for an outcome that was superseded fails. */
    negotiationId: z.string().min(1).max(200),
    decision: z.enum(['approve', 'reject']),
    /** Required for a rejection: the BOs read it in the session's history. */
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .refine((d) => d.decision === 'approve' || d.reason !== undefined, {
    message: 'a rejection needs a reason',
    path: ['reason'],
  });
/** What `approvalDecisionSchema` accepts; written out so the workflow's validator has it without zod. */
export interface ApprovalDecisionInput {
  negotiationId: string;
  decision: 'approve' | 'reject';
  reason?: string | undefined;
}
const _decisionMatchesSchema: z.ZodType<ApprovalDecisionInput> = approvalDecisionSchema;
void _decisionMatchesSchema;

/** A consensus waiting for the operator. */
export const pendingApprovalSchema = z.object({
  negotiationId: z.string(),
  valueMbps: z.number(),
  decidedBy: z.enum(['consensus', 'mediator_fallback']),
  /** Workflow time (ISO 8601) it was asked for, and until when it waits. */
  requestedAt: z.string(),
  deadline: z.string(),
});
export type PendingApproval = z.infer<typeof pendingApprovalSchema>;

/** How a pending consensus ended. */
export const approvalOutcomeSchema = pendingApprovalSchema.extend({
  decision: z.enum(['approve', 'reject']),
  /** 'operator' for an update, 'timeout' for the policy's default. */
  by: z.enum(['operator', 'timeout']),
  reason: z.string().optional(),
  decidedAt: z.string(),
});
export type ApprovalOutcome = z.infer<typeof approvalOutcomeSchema>;
