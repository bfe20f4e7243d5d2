/**
 * When a cell session acts on telemetry — pure functions, so the hysteresis is unit-tested and
 * replays identically. Time is the telemetry's own clock (emulated seconds), never the wall.
 *
 * Hysteresis: a condition must hold on every one of the last `sustainReports` reports, and a
 * network-triggered action waits `cooldownS` after the previous one. A one-sample dip therefore
 * never renegotiates, and a sustained drop renegotiates once: afterwards the consensus is set for
 * the new capacity and the window starts empty.
 */
import type { TelemetryReport } from '../../core/network/contracts.ts';
import type { z } from 'zod';
import type { cellSessionPhaseSchema, cellSessionPolicySchema } from '../../core/network/cell-session.ts';

export type CellSessionPolicy = z.infer<typeof cellSessionPolicySchema>;

export const defaultCellSessionPolicy: CellSessionPolicy = {
  sustainReports: 5,
  marginFraction: 0.1,
  cooldownS: 20,
  recoveryFactor: 1.2,
  maxRounds: 5,
  toleranceMbps: 2,
  optimizerMode: 'soft',
  reportsPerRun: 1000,
};

export type Phase = z.infer<typeof cellSessionPhaseSchema>;

export type NetworkAction =
  | { kind: 'renegotiate'; reason: 'capacity_drop' | 'capacity_recovered' }
  | { kind: 'vote_switch_off' }
  | { kind: 'switch_on' }
  | { kind: 'replan'; cqi: number }
  | { kind: 'revert'; deliveredMbps: number };

export interface NetworkContext {
  phase: Phase;
  /** The enforced consensus, in Mbps. */
  consensusMbps: number | null;
  /** The capacity the last negotiation's topic was capped at, when it was below the cell's best. */
  negotiatedCapMbps: number | null;
  /** CQI the enforced PRB plan was made for. */
  plannedCqi: number | null;
  /** Each active BO's "useless below" level, in Mbps (0: never). */
  switchOffFloorsMbps: number[];
  /** When the last network-triggered action happened (emulated s), or null. */
  lastActionAtS: number | null;
  /**
   * The throughput the enforced plan is to deliver, in Mbps. Given, a plan that delivers less while
   * the channel carries it is reverted (absent: not checked, as before that rule existed).
   */
  enforcedMbps?: number | null;
}

/** True when `predicate` holds on each of the last `n` reports (and there are at least n). */
export function sustained(window: readonly TelemetryReport[], n: number, predicate: (r: TelemetryReport) => boolean) {
  if (window.length < n) return false;
  return window.slice(-n).every(predicate);
}

export function decideNetworkAction(
  window: readonly TelemetryReport[],
  ctx: NetworkContext,
  policy: CellSessionPolicy,
): NetworkAction | null {
  const latest = window.at(-1);
  if (!latest) return null;
  if (ctx.lastActionAtS !== null && latest.tS - ctx.lastActionAtS < policy.cooldownS) return null;
  const n = policy.sustainReports;
  const floors = ctx.switchOffFloorsMbps;
  const everyoneHasAFloor = floors.length > 0 && floors.every((f) => f > 0);

  if (ctx.phase === 'switched_off') {
    // Back on only when the service would be useful to every BO again, with margin.
    const needed = Math.max(...floors) * policy.recoveryFactor;
    return everyoneHasAFloor && sustained(window, n, (r) => r.capacityMbps >= needed) ? { kind: 'switch_on' } : null;
  }
  if (ctx.phase !== 'enforced' || ctx.consensusMbps === null) return null;

  if (everyoneHasAFloor && sustained(window, n, (r) => r.capacityMbps < Math.min(...floors))) {
    return { kind: 'vote_switch_off' };
  }
  const floor = ctx.consensusMbps * (1 - policy.marginFraction);
  if (sustained(window, n, (r) => r.capacityMbps < floor)) return { kind: 'renegotiate', reason: 'capacity_drop' };
  if (
    ctx.negotiatedCapMbps !== null &&
    sustained(window, n, (r) => r.capacityMbps >= ctx.negotiatedCapMbps! * policy.recoveryFactor)
  ) {
    return { kind: 'renegotiate', reason: 'capacity_recovered' };
  }
  // Same consensus, other channel: the PRBs needed for it changed, so the slice operator re-plans —
  // when every recent report is below the planned CQI (the plan no longer delivers), or at least
  // two steps above it (the plan wastes PRBs). One noisy sample does neither.
  const planned = ctx.plannedCqi;
  if (
    planned !== null &&
    (sustained(window, n, (r) => r.cqi < planned) || sustained(window, n, (r) => r.cqi >= planned + 2))
  ) {
    return { kind: 'replan', cqi: planningCqi(window, n) };
  }
  // The channel carries the agreement and the plan was made for it, yet the cell delivers less:
  // the enforcement itself made things worse (a wrong or mangled plan, policies the RAN applies
  // differently). Checked last, so a capacity drop or a channel change is handled as such.
  const agreed = ctx.enforcedMbps;
  if (agreed !== undefined && agreed !== null && agreed > 0) {
    const short = agreed * (1 - policy.marginFraction);
    if (sustained(window, n, (r) => r.powered && r.capacityMbps >= short && r.deliveredMbps < short)) {
      return { kind: 'revert', deliveredMbps: window.at(-1)!.deliveredMbps };
    }
  }
  return null;
}

/**
 * The CQI to plan PRBs for: the lowest of the last n reports, so a plan made in a noisy channel
 * still delivers through its dips (the CQI's own 10 % BLER target is per report, not per window).
 */
export function planningCqi(window: readonly TelemetryReport[], n: number): number {
  const recent = window.slice(-Math.max(1, n));
  return recent.length === 0 ? 15 : Math.min(...recent.map((r) => r.cqi));
}

/** The capacity a negotiation is capped at: the median of the last n reports, robust to one noisy sample. */
export function capacityEstimateMbps(window: readonly TelemetryReport[], n: number): number | null {
  const recent = window
    .slice(-Math.max(1, n))
    .map((r) => r.capacityMbps)
    .sort((a, b) => a - b);
  if (recent.length === 0) return null;
  const mid = Math.floor(recent.length / 2);
  return recent.length % 2 === 1 ? recent[mid]! : (recent[mid - 1]! + recent[mid]!) / 2;
}

/** Intents conflict when their throughput targets are further apart than the negotiation tolerance. */
export function intentsConflict(targetsMbps: readonly number[], toleranceMbps: number): boolean {
  if (targetsMbps.length < 2) return false;
  return Math.max(...targetsMbps) - Math.min(...targetsMbps) > toleranceMbps;
}
