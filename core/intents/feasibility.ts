/**
 * TS 28.312 intent feasibility check for a throughput intent on a shared cell, before the intent
 * enters a negotiation: can the cell carry the expectation at its current and predicted channel?
 * The answer is 28.312's IntentFeasibilityCheckReport (feasibilityCheckResult FEASIBLE | INFEASIBLE,
 * infeasibilityReason) plus maestro's `assessment`, the figures behind it. Pure: the API feeds it
 * the cell and the channel its session last saw.
 *
 * Rules (regulatory-corpus/slice-sharing-rules.md, intents-28312.md's maestro mapping):
 * - SH-1: a cell never runs above maxUtilisation (0.9) × its 38.306 maximum data rate. A quality
 *   target above that is infeasible on any channel.
 * - The channel: a quality target above what the cell carries at the predicted CQI (the lowest of
 *   the recent reports, what a PRB plan must survive) cannot be delivered now. That is reported as
 *   INFEASIBLE too: the BO may lower it, or wait and ask again.
 * - A cost target (at most X) is always deliverable, unless it lies below the BO's own switch-off
 *   floor: the BO would then ask for a service it has declared useless.
 */
import { z } from 'zod';
import type { RanCell } from '../network/contracts.ts';
import { cellDownlinkMaxDataRateMbps } from '../network/max-data-rate.ts';
import { cellCapacityMbps } from '../network/slice-operator.ts';
import type { IntentBody } from './schemas.ts';

/** SH-1's maxUtilisation (slice-sharing-rules.md). */
export const maxUtilisation = 0.9;

export const feasibilityCheckReportSchema = z.object({
  feasibilityCheckResult: z.enum(['FEASIBLE', 'INFEASIBLE']),
  infeasibilityReason: z.string().optional(),
  assessment: z
    .object({
      cellId: z.string(),
      objective: z.enum(['qos', 'cost']),
      targetMbps: z.number(),
      /** SH-1: maxUtilisation × the cell's 38.306 maximum downlink data rate (TDD share included). */
      ceilingMbps: z.number(),
      currentCqi: z.number().int().nullable(),
      currentCapacityMbps: z.number().nullable(),
      predictedCqi: z.number().int(),
      predictedCapacityMbps: z.number(),
      /** Where the CQIs come from: the cell session's telemetry, or none yet (the cell's best channel assumed). */
      channelBasis: z.enum(['telemetry', 'no_telemetry']),
    })
    .describe('maestro: the figures the answer rests on'),
});
export type IntentFeasibilityCheckReport = z.infer<typeof feasibilityCheckReportSchema>;

export interface ChannelView {
  /** The CQI of the last report, or null without telemetry. */
  currentCqi: number | null;
  /** The CQI a plan must survive (the session's planning CQI), or null without telemetry. */
  predictedCqi: number | null;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function checkIntentFeasibility(
  body: IntentBody,
  cell: RanCell,
  channel: ChannelView,
): IntentFeasibilityCheckReport {
  const target = body.intentExpectations[0]!.expectationTargets[0]!;
  const atMost = target.targetCondition === 'IS_LESS_THAN' || target.targetCondition === 'IS_EQUAL_TO_OR_LESS_THAN';
  const targetMbps = target.targetValueRange;
  const ceilingMbps = round1(maxUtilisation * cellDownlinkMaxDataRateMbps(cell));
  const basis = channel.predictedCqi === null ? 'no_telemetry' : 'telemetry';
  const predictedCqi = channel.predictedCqi ?? 15;
  const predictedCapacityMbps = round1(Math.min(cellCapacityMbps(cell, predictedCqi), ceilingMbps));
  const currentCapacityMbps =
    channel.currentCqi === null ? null : round1(Math.min(cellCapacityMbps(cell, channel.currentCqi), ceilingMbps));
  const assessment = {
    cellId: cell.cellId,
    objective: atMost ? ('cost' as const) : ('qos' as const),
    targetMbps,
    ceilingMbps,
    currentCqi: channel.currentCqi,
    currentCapacityMbps,
    predictedCqi,
    predictedCapacityMbps,
    channelBasis: basis,
  } satisfies IntentFeasibilityCheckReport['assessment'];
  const infeasible = (reason: string): IntentFeasibilityCheckReport => ({
    feasibilityCheckResult: 'INFEASIBLE',
    infeasibilityReason: reason,
    assessment,
  });

  if (atMost) {
    const floor = body.agent.switchOffBelowMbps;
    if (floor > 0 && targetMbps < floor) {
      return infeasible(
        `the target (at most ${targetMbps} Mbps) is below the BO's own switch-off floor (${floor} Mbps): no throughput satisfies both`,
      );
    }
    return { feasibilityCheckResult: 'FEASIBLE', assessment };
  }
  const strict = target.targetCondition === 'IS_GREATER_THAN';
  const beyond = (capMbps: number): boolean => (strict ? targetMbps >= capMbps : targetMbps > capMbps);
  if (beyond(ceilingMbps)) {
    return infeasible(
      `rule SH-1: ${cell.cellId} never runs above ${ceilingMbps} Mbps (${maxUtilisation} × its TS 38.306 maximum data rate); the target asks ${targetMbps} Mbps`,
    );
  }
  if (beyond(predictedCapacityMbps)) {
    return infeasible(
      `at the predicted channel (CQI ${predictedCqi}) ${cell.cellId} carries at most ${predictedCapacityMbps} Mbps; the target asks ${targetMbps} Mbps`,
    );
  }
  return { feasibilityCheckResult: 'FEASIBLE', assessment };
}
