/** Messages a running negotiation answers: its state (query) and a party's new target (update and signal). */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NegotiationState, NetworkState } from '../../core/negotiation/types.ts';

export interface TargetChange {
  partyId: string;
  target: number;
}

export const negotiationStateQuery = defineQuery<NegotiationState>('negotiationState');

/**
 * An update, not only a signal, because the operator changing a target waits to hear whether it
 * was accepted (unknown party, target out of range, negotiation over → rejected by the validator).
 */
export const changePartyTargetUpdate = defineUpdate<{ appliesFromRound: number }, [TargetChange]>('changePartyTarget');

/** Fire-and-forget form for other workflows (e.g. a cell session); invalid changes are ignored and logged. */
export const partyTargetChangedSignal = defineSignal<[TargetChange]>('partyTargetChanged');

/**
 * Telemetry for the observability unit: the cell's current capacity (and CQI, load). Applied
 * between rounds: the topic's maximum shrinks to the capacity, and the negotiation halts when
 * the capacity falls below the topic's minimum (nothing a consensus could deliver).
 */
export const networkStateChangedSignal = defineSignal<[NetworkState]>('networkStateChanged');

export interface Withdrawal {
  partyId: string;
  reason: string;
}

/** A BO's business intent changed so that it leaves the negotiation; fewer than two parties halts it. */
export const partyWithdrewSignal = defineSignal<[Withdrawal]>('partyWithdrew');
