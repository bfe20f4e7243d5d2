/**
 * TS 28.312 intent reports: fulfilment per target with the achieved value, plus maestro's
 * negotiation report (the cell's negotiations and their public outcome). A BO sees its own
 * target and its own slice; other tenants appear only as the public outcome (consensus value,
 * who was warned is public by design: incentives are announced to all parties).
 */
import { negotiationProfile } from '../../core/intents/schemas.ts';
import type { CellSessionState, SessionIntent } from '../../workflows/cell-session/types.ts';
import type { Principal } from '../auth.ts';
import type { FulfilmentInfo, IntentReport } from './schemas.ts';

export type { IntentReport };

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);
const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

export function intentReport(
  intent: SessionIntent,
  state: CellSessionState,
  principal: Principal,
  feasibility: IntentReport['intentFeasibilityCheckReport'],
): IntentReport {
  const { record } = intent;
  const profile = negotiationProfile(record);
  const expectation = record.body.intentExpectations[0]!;
  const target = expectation.expectationTargets[0]!;
  const window = state.telemetry.slice(-record.body.observationPeriod);
  const sliceId = record.tenantId;
  const sliceDelivered = round1(
    mean(window.map((r) => r.slices.find((s) => s.sliceId === sliceId)?.deliveredMbps ?? 0)),
  );
  const cellDelivered = round1(mean(window.map((r) => r.deliveredMbps)));
  const enforcedSlice = state.enforcement?.networkIntent.slices.find((s) => s.sliceId === sliceId) ?? null;

  // The target reads the shared cell's delivered throughput: the BOs negotiate the cell's rate.
  const achieved = cellDelivered;
  const met =
    achieved !== null &&
    (profile.objective === 'cost'
      ? target.targetCondition === 'IS_LESS_THAN'
        ? achieved < target.targetValueRange
        : achieved <= target.targetValueRange
      : target.targetCondition === 'IS_GREATER_THAN'
        ? achieved > target.targetValueRange
        : target.targetCondition === 'IS_EQUAL_TO'
          ? Math.abs(achieved - target.targetValueRange) <= state.policy.toleranceMbps
          : achieved >= target.targetValueRange);
  const info = ((): FulfilmentInfo => {
    if (record.body.intentAdminState === 'DEACTIVATED') {
      return {
        fulfilmentStatus: 'NOT_FULFILLED',
        notFullfilledState: 'SUSPENDED',
        notFulfilledReasons: ['intent deactivated'],
      };
    }
    if (met) return { fulfilmentStatus: 'FULFILLED' };
    if (state.phase === 'switched_off') {
      return {
        fulfilmentStatus: 'NOT_FULFILLED',
        notFullfilledState: 'SUSPENDED',
        notFulfilledReasons: ['the BOs voted the cell off: service too poor'],
      };
    }
    const pending = state.pendingApproval;
    if (state.phase === 'awaiting_approval' && pending) {
      return {
        fulfilmentStatus: 'NOT_FULFILLED',
        notFullfilledState: 'ACKNOWLEDGED',
        notFulfilledReasons: [
          `consensus ${pending.valueMbps.toFixed(1)} Mbps awaits operator approval until ${pending.deadline}`,
        ],
      };
    }
    if (state.phase === 'negotiating' || state.phase === 'idle' || achieved === null) {
      return {
        fulfilmentStatus: 'NOT_FULFILLED',
        notFullfilledState: 'ACKNOWLEDGED',
        notFulfilledReasons: ['negotiation or enforcement pending'],
      };
    }
    const reasons: string[] = [];
    if (
      state.consensusMbps !== null &&
      Math.abs(state.consensusMbps - target.targetValueRange) > state.policy.toleranceMbps
    ) {
      reasons.push(`negotiated consensus ${state.consensusMbps.toFixed(1)} Mbps differs from the target`);
    }
    if (state.consensusMbps !== null && achieved < state.consensusMbps * (1 - state.policy.marginFraction)) {
      reasons.push(`the network delivers ${achieved} Mbps, below the consensus`);
    }
    return { fulfilmentStatus: 'NOT_FULFILLED', notFullfilledState: 'DEGRADED', notFulfilledReasons: reasons };
  })();

  return {
    intentReference: record.id,
    lastUpdatedTime: new Date().toISOString(),
    intentFeasibilityCheckReport: feasibility,
    intentFulfilmentReport: {
      intentFulfilmentInfo: info,
      expectationFulfilmentResult: [
        {
          expectationId: expectation.expectationId,
          expectationFulfilmentInfo: info,
          targetFulfilmentResult: [
            { targetName: target.targetName, targetFulfilmentInfo: info, targetAchievedValue: achieved },
          ],
        },
      ],
    },
    negotiationReport: {
      cellId: state.cellId,
      sessionPhase: state.phase,
      consensusMbps: round1(state.consensusMbps),
      pendingApproval: state.pendingApproval
        ? {
            negotiationId: state.pendingApproval.negotiationId,
            valueMbps: round1(state.pendingApproval.valueMbps)!,
            deadline: state.pendingApproval.deadline,
          }
        : null,
      slice:
        principal.role === 'operator' || principal.id === record.tenantId
          ? {
              sliceId,
              assignedMbps: round1(enforcedSlice?.requestedMbps ?? null),
              prbs: enforcedSlice?.prbs ?? null,
              deliveredMbps: sliceDelivered,
            }
          : null,
      cellDeliveredMbps: cellDelivered,
      capacityMbps: round1(mean(window.map((r) => r.capacityMbps))),
      observedReports: window.length,
      negotiations: state.negotiations.map((n) => ({
        negotiationId: n.negotiationId,
        trigger: n.trigger,
        status: n.status,
        valueMbps: round1(n.valueMbps),
        decidedBy: n.decidedBy,
        rounds: n.rounds,
        warned: n.warned,
      })),
    },
  };
}
