/** The state a cell session keeps, returns from its query and carries across continue-as-new. */
import type { z } from 'zod';
import type {
  a1SyncRecordSchema,
  cellEventSchema,
  cellSessionCarrySchema,
  cellSessionStateSchema,
  enforcementRecordSchema,
  negotiationSummarySchema,
  negotiationTriggerSchema,
  sessionIntentSchema,
} from '../../core/network/cell-session.ts';
import type { RanCell, SwitchOffVote } from '../../core/network/contracts.ts';
import type { AgentTurnTimeouts } from '../../core/temporal/activity-timeouts.ts';
import type { CellSessionPolicy } from './triggers.ts';

// The types come from the zod contract in core (the schemas are imported as types only: the
// workflow bundle carries no zod).
export type SessionIntent = z.infer<typeof sessionIntentSchema>;
export type NegotiationTrigger = z.infer<typeof negotiationTriggerSchema>;
export type NegotiationSummary = z.infer<typeof negotiationSummarySchema>;
export type EnforcementRecord = z.infer<typeof enforcementRecordSchema>;
export type A1SyncRecord = z.infer<typeof a1SyncRecordSchema>;
export type CellEvent = z.infer<typeof cellEventSchema>;
export type CellSessionCarry = z.infer<typeof cellSessionCarrySchema>;
export type CellSessionState = z.infer<typeof cellSessionStateSchema>;

export interface CellSessionInput {
  cell: RanCell;
  policy: CellSessionPolicy;
  agentTurnTimeouts: AgentTurnTimeouts;
  /** What the cell delivers at its best CQI with every PRB (the slice operator's figure), in Mbps. */
  cellBestMbps: number;
  /** Wall-clock limit of one child negotiation. */
  negotiationRunTimeout: string;
  /**
   * Check each plan on the Sionna twin before enforcing it (core/network/twin-check.ts): the twin
   * worker's task queue, and a margin (dB) taken off the SINR the CQI stands for. Absent: no check.
   */
  twinCheck?: { taskQueue: string; sinrMarginDb?: number };
  carry?: CellSessionCarry;
}

export type { SwitchOffVote };
