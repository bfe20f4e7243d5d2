/** The 28.312 feasibility check of a throughput intent on a shared cell (core/intents/feasibility.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkIntentFeasibility, maxUtilisation } from '../../core/intents/feasibility.ts';
import { intentBodySchema, type IntentBody } from '../../core/intents/schemas.ts';
import { cellDownlinkMaxDataRateMbps } from '../../core/network/max-data-rate.ts';
import { cellCapacityMbps, referenceCell } from '../../core/network/slice-operator.ts';

const cell = referenceCell;
const body = (condition: string, mbps: number, floorMbps = 0): IntentBody =>
  intentBodySchema.parse({
    userLabel: 'test',
    intentExpectations: [
      {
        expectationId: 'cell-throughput',
        expectationObject: { objectType: 'RAN_SubNetwork', objectInstance: cell.cellId },
        expectationTargets: [{ targetName: 'AveDLRANUEThpt', targetCondition: condition, targetValueRange: mbps }],
      },
    ],
    agent: { switchOffBelowMbps: floorMbps },
  });
const noTelemetry = { currentCqi: null, predictedCqi: null };
const ceiling = Math.round(maxUtilisation * cellDownlinkMaxDataRateMbps(cell) * 10) / 10;

describe('intent feasibility (TS 28.312 IntentFeasibilityCheckReport)', () => {
  it('SH-1: a quality target above 0.9 × the 38.306 maximum data rate is infeasible on any channel', () => {
    assert.ok(ceiling > 100 && ceiling < cellDownlinkMaxDataRateMbps(cell), `ceiling ${ceiling}`);
    const over = checkIntentFeasibility(body('IS_EQUAL_TO_OR_GREATER_THAN', ceiling + 1), cell, noTelemetry);
    assert.equal(over.feasibilityCheckResult, 'INFEASIBLE');
    assert.match(over.infeasibilityReason!, /rule SH-1/);
    assert.equal(over.assessment.channelBasis, 'no_telemetry');
    const at = checkIntentFeasibility(body('IS_EQUAL_TO_OR_GREATER_THAN', ceiling), cell, noTelemetry);
    assert.equal(at.feasibilityCheckResult, 'FEASIBLE', 'the bound itself can be met');
    const strictlyAbove = checkIntentFeasibility(body('IS_GREATER_THAN', ceiling), cell, noTelemetry);
    assert.equal(strictlyAbove.feasibilityCheckResult, 'INFEASIBLE', '"greater than" the ceiling cannot be met');
  });

  it('judges a quality target at the predicted CQI (what a plan must survive), not the current one', () => {
    const atCqi6 = Math.round(cellCapacityMbps(cell, 6) * 10) / 10;
    const channel = { currentCqi: 12, predictedCqi: 6 };
    const over = checkIntentFeasibility(body('IS_EQUAL_TO_OR_GREATER_THAN', atCqi6 + 5), cell, channel);
    assert.equal(over.feasibilityCheckResult, 'INFEASIBLE');
    assert.match(over.infeasibilityReason!, new RegExp(`CQI 6\\) ${cell.cellId} carries at most ${atCqi6} Mbps`));
    assert.equal(over.assessment.currentCqi, 12);
    assert.ok(over.assessment.currentCapacityMbps! > over.assessment.predictedCapacityMbps);
    const under = checkIntentFeasibility(body('IS_EQUAL_TO_OR_GREATER_THAN', atCqi6 - 1), cell, channel);
    assert.equal(under.feasibilityCheckResult, 'FEASIBLE');
    assert.equal(under.infeasibilityReason, undefined);
  });

  it('a cost target is feasible on any channel, unless it lies below the BO’s own switch-off floor', () => {
    const poor = { currentCqi: 1, predictedCqi: 1 };
    assert.equal(checkIntentFeasibility(body('IS_LESS_THAN', 20, 5), cell, poor).feasibilityCheckResult, 'FEASIBLE');
    const contradictory = checkIntentFeasibility(body('IS_EQUAL_TO_OR_LESS_THAN', 4, 10), cell, poor);
    assert.equal(contradictory.feasibilityCheckResult, 'INFEASIBLE');
    assert.match(contradictory.infeasibilityReason!, /below the BO's own switch-off floor/);
    assert.equal(contradictory.assessment.objective, 'cost');
  });
});
