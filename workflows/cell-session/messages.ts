/** What a cell session answers and accepts: its state (query), intents (updates), telemetry (signal). */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecisionInput, ApprovalPolicy } from '../../core/intents/approval.ts';
import type { TelemetryReport } from '../../core/network/contracts.ts';
import type { CellSessionState, SessionIntent } from './types.ts';

export const cellSessionStateQuery = defineQuery<CellSessionState>('cellSessionState');

/**
 * Create or replace one tenant's intent on this cell. An update, because the API answers the
 * tenant only once the session has accepted it (validator: right cell, right owner).
 */
export const upsertIntentUpdate = defineUpdate<{ version: number }, [SessionIntent]>('upsertIntent');

export const deleteIntentUpdate = defineUpdate<{ deleted: true }, [{ intentId: string; tenantId: string }]>(
  'deleteIntent',
);

/** One report of the (emulated) RAN for this cell: CQI, capacity, delivered throughput. */
export const telemetrySignal = defineSignal<[TelemetryReport]>('telemetry');

/**
 * The operator approves or rejects the consensus waiting for approval. Validated (a consensus is
 * waiting, it is the named negotiation's, not already decided, a rejection has a reason), so a
 * stale or malformed decision is refused before it enters the history.
 */
export const decideConsensusUpdate = defineUpdate<
  { negotiationId: string; decision: 'approve' | 'reject' },
  [ApprovalDecisionInput]
>('decideConsensus');

/** The operator's approval rule for this cell, from the next consensus on. */
export const setApprovalPolicyUpdate = defineUpdate<ApprovalPolicy, [ApprovalPolicy]>('setApprovalPolicy');
