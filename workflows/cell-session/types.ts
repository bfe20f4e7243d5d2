/** The state a cell session keeps, returns from its query and carries across continue-as-new. */
import type { ApprovalOutcome, ApprovalPolicy, PendingApproval } from '../../core/intents/approval.ts';
import type { A1StatusById } from '../../core/network/a1ap.ts';
import type { NetworkIntent, RanCell, SwitchOffVote, TelemetryReport } from '../../core/network/contracts.ts';
import type { IntentRecord } from '../../core/intents/schemas.ts';
import type { AgentTurnTimeouts } from '../../core/temporal/activity-timeouts.ts';
import type { CellSessionPolicy, Phase } from './triggers.ts';

/** An intent as the session holds it: the tenant's record plus the operator's weight for that tenant. */
export interface SessionIntent {
  record: IntentRecord;
  weight: number;
}

export type NegotiationTrigger = 'intent_conflict' | 'capacity_drop' | 'capacity_recovered' | 'recovered' | 'degraded';

export interface NegotiationSummary {
  negotiationId: string;
  trigger: NegotiationTrigger;
  startedAtS: number;
  finishedAtS: number | null;
  status: string | null;
  /** The throughput enforced after it (consensus, or MAESTRO's proposal when none). */
  valueMbps: number | null;
  decidedBy: 'consensus' | 'mediator_fallback' | null;
  rounds: number;
  capMbps: number;
  /** BOs the arbitral unit warned, penalised or excluded. */
  warned: string[];
}

export interface EnforcementRecord {
  atS: number;
  throughputMbps: number;
  networkIntent: NetworkIntent;
  a1PolicyIds: string[];
  /** Each policy's A1TD status as the RIC last reported it (enforcement or the periodic sync). */
  a1Status?: A1StatusById;
  /** This cell's policies removed from the RIC because their slices left the plan. */
  a1Removed?: string[];
}

/** The last check that the RIC still holds the enforced policies (activities/network/enforcement.ts). */
export interface A1SyncRecord {
  atS: number;
  resent: string[];
  repaired: string[];
  /** Why the check failed, when it did. */
  error?: string;
}

export interface CellEvent {
  tS: number;
  kind:
    | 'intent_changed'
    | 'negotiation_started'
    | 'negotiation_finished'
    | 'enforced'
    | 'replanned'
    | 'switch_off_vote'
    | 'switched_off'
    | 'switched_on'
    | 'warned'
    | 'enforcement_failed'
    | 'reverted'
    | 'a1_resynced'
    | 'approval_policy'
    | 'approval_requested'
    | 'approved'
    | 'rejected'
    | 'approval_superseded';
  message: string;
}

export interface CellSessionCarry {
  intents: SessionIntent[];
  phase: Phase;
  consensusMbps: number | null;
  negotiatedCapMbps: number | null;
  enforcement: EnforcementRecord | null;
  negotiations: NegotiationSummary[];
  events: CellEvent[];
  telemetry: TelemetryReport[];
  lastActionAtS: number | null;
  negotiationCount: number;
  run: number;
  /** The last switch-off vote, BO by BO. */
  lastVotes: SwitchOffVote[];
  /** The operator's approval rule as set by update (absent: the input policy's, else none). */
  approvalPolicy?: ApprovalPolicy;
  /** The consensus waiting for the operator, if any. */
  pendingApproval?: PendingApproval | null;
  /** How the last consensuses that needed approval ended (last 30). */
  approvals?: ApprovalOutcome[];
  lastA1Sync?: A1SyncRecord | null;
  /** The enforcement before the current one: what a revert on degradation restores. */
  previousEnforcement?: EnforcementRecord | null;
}

export interface CellSessionInput {
  cell: RanCell;
  policy: CellSessionPolicy;
  agentTurnTimeouts: AgentTurnTimeouts;
  /** What the cell delivers at its best CQI with every PRB (the slice operator's figure), in Mbps. */
  cellBestMbps: number;
  /** Wall-clock limit of one child negotiation. */
  negotiationRunTimeout: string;
  carry?: CellSessionCarry;
}

export interface CellSessionState extends CellSessionCarry {
  cellId: string;
  cell: RanCell;
  policy: CellSessionPolicy;
  activeNegotiationId: string | null;
  /** The approval rule in force (the carried one, else the policy's). */
  approval: ApprovalPolicy;
}

export type { SwitchOffVote };
