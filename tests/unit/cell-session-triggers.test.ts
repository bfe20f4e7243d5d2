import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TelemetryReport } from '../../core/network/contracts.ts';
import {
  capacityEstimateMbps,
  decideNetworkAction,
  defaultCellSessionPolicy,
  intentsConflict,
  planningCqi,
  type NetworkContext,
} from '../../workflows/cell-session/triggers.ts';

const policy = { ...defaultCellSessionPolicy, sustainReports: 3, cooldownS: 10 };
/** Reports one second apart from t = 1, each a [cqi, capacityMbps] pair. */
const reports = (...points: [number, number][]): TelemetryReport[] =>
  points.map(([cqi, capacityMbps], i) => ({
    cellId: 'c',
    tS: i + 1,
    cqi,
    capacityMbps,
    powered: true,
    deliveredMbps: 0,
    slices: [],
  }));
const enforced: NetworkContext = {
  phase: 'enforced',
  consensusMbps: 50,
  negotiatedCapMbps: null,
  plannedCqi: 13,
  switchOffFloorsMbps: [10, 12],
  lastActionAtS: null,
};

describe('cell session triggers (hysteresis)', () => {
  it('a one-sample dip does nothing; the same drop held for sustainReports renegotiates', () => {
    assert.equal(decideNetworkAction(reports([13, 109], [3, 9], [13, 109]), enforced, policy), null);
    assert.equal(decideNetworkAction(reports([13, 109], [7, 35], [7, 35]), enforced, policy), null);
    assert.deepEqual(decideNetworkAction(reports([7, 35], [7, 35], [7, 35]), enforced, policy), {
      kind: 'renegotiate',
      reason: 'capacity_drop',
    });
  });

  it('the margin: capacity just under the consensus but within 10 % is not a drop', () => {
    const near = reports([12, 46], [12, 46], [12, 46]);
    assert.notDeepEqual(decideNetworkAction(near, enforced, policy)?.kind, 'renegotiate');
    assert.deepEqual(decideNetworkAction(reports([12, 44], [12, 44], [12, 44]), enforced, policy)?.kind, 'renegotiate');
  });

  it('waits out the cooldown after the previous action', () => {
    const low = reports([7, 35], [7, 35], [7, 35]);
    assert.equal(decideNetworkAction(low, { ...enforced, lastActionAtS: -5 }, policy), null, '3 − (−5) < 10 s');
    assert.equal(decideNetworkAction(low, { ...enforced, lastActionAtS: -7 }, policy)?.kind, 'renegotiate');
  });

  it('votes on switching off only when capacity stays below every BO’s floor', () => {
    assert.deepEqual(decideNetworkAction(reports([2, 6], [2, 6], [2, 6]), enforced, policy), {
      kind: 'vote_switch_off',
    });
    // Below one floor (12) but not the other (10): a renegotiation, not a vote.
    assert.equal(decideNetworkAction(reports([3, 11], [3, 11], [3, 11]), enforced, policy)?.kind, 'renegotiate');
    // A BO without a floor (0) never wants the cell off.
    const noFloor = { ...enforced, switchOffFloorsMbps: [10, 0] };
    assert.equal(decideNetworkAction(reports([2, 6], [2, 6], [2, 6]), noFloor, policy)?.kind, 'renegotiate');
  });

  it('switches back on only when the highest floor × recoveryFactor is reached and held', () => {
    const off: NetworkContext = { ...enforced, phase: 'switched_off', consensusMbps: null };
    assert.equal(decideNetworkAction(reports([4, 14], [4, 14], [4, 14]), off, policy), null, '14 < 12 × 1.2');
    assert.equal(decideNetworkAction(reports([5, 20], [3, 9], [5, 20]), off, policy), null);
    assert.deepEqual(decideNetworkAction(reports([5, 20], [5, 20], [5, 20]), off, policy), { kind: 'switch_on' });
  });

  it('renegotiates upwards when a capped negotiation’s capacity recovers clearly', () => {
    const capped = { ...enforced, consensusMbps: 25, negotiatedCapMbps: 28, plannedCqi: 7 };
    assert.equal(decideNetworkAction(reports([7, 33], [7, 33], [7, 33]), capped, policy), null, '33 < 28 × 1.2');
    assert.deepEqual(decideNetworkAction(reports([8, 45], [8, 45], [8, 45]), capped, policy), {
      kind: 'renegotiate',
      reason: 'capacity_recovered',
    });
  });

  it('re-plans PRBs when the channel settles below the plan, or two steps above it', () => {
    assert.deepEqual(decideNetworkAction(reports([12, 93], [11, 78], [12, 93]), enforced, policy), {
      kind: 'replan',
      cqi: 11,
    });
    assert.equal(decideNetworkAction(reports([14, 122], [13, 109], [14, 122]), enforced, policy), null);
    assert.deepEqual(decideNetworkAction(reports([15, 131], [15, 131], [15, 131]), enforced, policy), {
      kind: 'replan',
      cqi: 15,
    });
  });

  it('idle and negotiating sessions do not act on telemetry', () => {
    const low = reports([2, 6], [2, 6], [2, 6]);
    assert.equal(decideNetworkAction(low, { ...enforced, phase: 'idle' }, policy), null);
    assert.equal(decideNetworkAction(low, { ...enforced, phase: 'negotiating' }, policy), null);
  });

  it('robust estimates: the capacity median and the planning CQI (lowest of the window)', () => {
    assert.equal(capacityEstimateMbps(reports([13, 109], [3, 9], [13, 100]), 3), 100);
    assert.equal(capacityEstimateMbps(reports([13, 109], [3, 9]), 3), 59);
    assert.equal(capacityEstimateMbps([], 3), null);
    assert.equal(planningCqi(reports([13, 109], [12, 93], [14, 122]), 3), 12);
    assert.equal(planningCqi([], 3), 15);
  });

  it('intents conflict when targets are further apart than the tolerance', () => {
    assert.equal(intentsConflict([100, 20], 2), true);
    assert.equal(intentsConflict([50, 51.5], 2), false);
    assert.equal(intentsConflict([50], 2), false);
  });
});

describe('cell session triggers: revert on degradation', () => {
  /** Reports at CQI 13 (capacity 109 Mbps), delivering the given throughputs. */
  const delivering = (...mbps: number[]): TelemetryReport[] =>
    reports(...mbps.map((): [number, number] => [13, 109])).map((r, i) => ({ ...r, deliveredMbps: mbps[i]! }));
  const checked: NetworkContext = { ...enforced, enforcedMbps: 50 };

  it('a plan that delivers less than it promised while the channel carries it, held for sustainReports, is reverted', () => {
    assert.deepEqual(decideNetworkAction(delivering(20, 21, 22), checked, policy), {
      kind: 'revert',
      deliveredMbps: 22,
    });
  });

  it('one short report, or a shortfall within the margin, does nothing', () => {
    assert.equal(decideNetworkAction(delivering(50, 20, 50), checked, policy), null);
    assert.equal(decideNetworkAction(delivering(46, 46, 46), checked, policy), null, '46 ≥ 50 × 0.9');
  });

  it('without the promised figure (histories from before the rule) nothing is checked', () => {
    assert.equal(decideNetworkAction(delivering(20, 21, 22), enforced, policy), null);
  });

  it('a channel that no longer carries the agreement is a capacity drop, not a degradation', () => {
    const low = reports([7, 35], [7, 35], [7, 35]).map((r) => ({ ...r, deliveredMbps: 30 }));
    assert.deepEqual(decideNetworkAction(low, checked, policy), { kind: 'renegotiate', reason: 'capacity_drop' });
  });
});
