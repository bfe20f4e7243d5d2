/**
 * The cell session's pure steps: from its state and an input to the next value, with no Temporal
 * call, so each is unit-tested (tests/unit/cell-session-transitions.test.ts) and the workflow
 * (workflow.ts) only sequences them with activities, timers and child workflows. The hysteresis
 * rules are in triggers.ts.
 */
import type { ApprovalOutcome, ApprovalPolicy, PendingApproval } from '../../core/intents/approval.ts';
import { negotiationProfile } from '../../core/intents/schemas.ts';
import { defaultArbitrationPolicy } from '../../core/negotiation/arbitration-defaults.ts';
import type { NegotiationRequest } from '../../core/negotiation/schemas.ts';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import type { NetworkIntent, RanCell } from '../../core/network/contracts.ts';
import type { CellSessionPolicy } from './triggers.ts';
import type { A1SyncRecord, EnforcementRecord, NegotiationSummary, SessionIntent } from './types.ts';

/**
 * What of an intent the outcome depends on; equal keys mean nothing to renegotiate. How the BO's
 * agent talks (personality, business text) applies from the next negotiation, not by itself.
 */
export function negotiationKey(intent: SessionIntent): string {
  const p = negotiationProfile(intent.record);
  return JSON.stringify([
    p.objective,
    p.targetMbps,
    p.switchOffBelowMbps,
    intent.weight,
    intent.record.body.intentAdminState,
  ]);
}

/** One BO, or BOs that already agree: their weighted mean target (each capped at the cell's best). */
export function agreedMbps(intents: readonly SessionIntent[], cellBestMbps: number): number {
  const totalWeight = intents.reduce((s, i) => s + i.weight, 0);
  return (
    intents.reduce((s, i) => s + Math.min(negotiationProfile(i.record).targetMbps, cellBestMbps) * i.weight, 0) /
    totalWeight
  );
}

/**
 * The child negotiation's request: the cell's throughput between the BOs' lowest floor and the
 * cap, each BO's target clamped into that range. Null when the cap leaves nothing above the
 * floors to share (the service is useless to all).
 */
export function negotiationRequestFor(
  cell: RanCell,
  intents: readonly SessionIntent[],
  capacityMbps: number,
  cellBestMbps: number,
  policy: CellSessionPolicy,
):
  | { request: NegotiationRequest; capMbps: number; floorMbps: number }
  | { capMbps: number; floorMbps: number; request: null } {
  const capMbps = Math.round(Math.min(capacityMbps, cellBestMbps) * 10) / 10;
  const floorMbps = Math.min(...intents.map((i) => i.record.body.agent.switchOffBelowMbps));
  if (capMbps - floorMbps <= policy.toleranceMbps * 2) return { request: null, capMbps, floorMbps };
  return {
    capMbps,
    floorMbps,
    request: {
      topic: { name: `downlink throughput of shared cell ${cell.cellId}`, unit: 'Mbps', min: floorMbps, max: capMbps },
      parties: intents.map((i) => {
        const p = negotiationProfile(i.record);
        return {
          id: p.tenantId,
          objective: p.objective,
          target: Math.min(Math.max(p.targetMbps, floorMbps), capMbps),
          weight: i.weight,
          personality: p.personality,
          ...(p.businessIntent ? { businessIntent: p.businessIntent } : {}),
        };
      }),
      maxRounds: policy.maxRounds,
      tolerance: policy.toleranceMbps,
      optimizerMode: policy.optimizerMode,
      cellId: cell.cellId,
      arbitration: defaultArbitrationPolicy,
    },
  };
}

/**
 * A finished child negotiation's summary, and the throughput the network is to run at: the
 * consensus, or without one MAESTRO's fair proposal (eq. (1)'s optimum); null when neither exists.
 */
export function concludedSummary(
  started: NegotiationSummary,
  result: NegotiationState | null,
  finishedAtS: number,
): { summary: NegotiationSummary; valueMbps: number | null } {
  const value = result?.consensus?.value ?? result?.optimum.value ?? null;
  const summary: NegotiationSummary = {
    ...started,
    finishedAtS,
    status: result?.status ?? 'failed',
    rounds: result?.rounds.length ?? 0,
    warned: [...new Set((result?.rounds ?? []).flatMap((r) => r.arbitration?.flags.map((f) => f.partyId) ?? []))],
    decidedBy: result?.consensus ? 'consensus' : value === null ? null : 'mediator_fallback',
    valueMbps: value,
  };
  return { summary, valueMbps: value };
}

/** The consensus waiting for the operator: asked at `askedAtMs` (workflow time), due after the rule's timeout. */
export function pendingApprovalFor(
  summary: NegotiationSummary,
  valueMbps: number,
  rule: ApprovalPolicy,
  askedAtMs: number,
): PendingApproval {
  return {
    negotiationId: summary.negotiationId,
    valueMbps,
    decidedBy: summary.decidedBy ?? 'consensus',
    requestedAt: new Date(askedAtMs).toISOString(),
    deadline: new Date(askedAtMs + rule.timeoutS * 1000).toISOString(),
  };
}

export function approvalOutcome(
  pending: PendingApproval,
  decided: Pick<ApprovalOutcome, 'decision' | 'by' | 'reason'>,
  decidedAtMs: number,
): ApprovalOutcome {
  return { ...pending, ...decided, decidedAt: new Date(decidedAtMs).toISOString() };
}

/** What a plan promised to deliver: its slices' expected throughput (less than agreed when it did not fit). */
export const promisedMbps = (intent: Pick<NetworkIntent, 'slices'>): number =>
  intent.slices.reduce((sum, s) => sum + s.expectedMbps, 0);

/** The emulated second from which the next A1 check is due (the later of the enforcement and the last check). */
export const lastA1CheckS = (
  enforcement: EnforcementRecord | null,
  lastSync: A1SyncRecord | null | undefined,
): number => Math.max(enforcement?.atS ?? 0, lastSync?.atS ?? 0);

/** ` — A1: cell-n78-a.bo-1 ENFORCED, …` for an event; empty without statuses. */
export function a1Summary(status: EnforcementRecord['a1Status']): string {
  const entries = Object.entries(status ?? {});
  if (entries.length === 0) return '';
  const parts = entries.map(
    ([id, s]) => `${id} ${s === null ? 'missing' : s.enforceStatus}${s?.enforceReason ? ` (${s.enforceReason})` : ''}`,
  );
  return ` — A1: ${parts.join(', ')}`;
}

/** `bo-1 40, bo-2 60`: the PRBs of each slice of a plan, for events. */
export const prbSummary = (intent: Pick<NetworkIntent, 'slices'>): string =>
  intent.slices.map((s) => `${s.sliceId} ${s.prbs}`).join(', ');
