import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeRound, optimumOf } from '../../core/negotiation/rules.ts';

const party = (id: string, target: number, weight: number) => ({ id, target, weight });

describe('negotiation rules (core/negotiation/rules.ts)', () => {
  it('the optimum is the weighted mean of the targets, clipped to the bounds', () => {
    assert.equal(optimumOf([party('a', 20, 1), party('b', 80, 3)], { min: 0, max: 134 }), 65);
    assert.equal(optimumOf([party('a', 120, 1), party('b', 130, 1)], { min: 0, max: 100 }), 100);
  });
  it('consensus within the tolerance, at the weighted mean of the demands', () => {
    const judged = judgeRound({
      parties: [{ weight: 1 }, { weight: 3 }],
      values: [50, 54],
      tolerance: 5,
      round: 2,
      maxRounds: 8,
    });
    assert.deepEqual(judged, { decision: 'consensus', spread: 4, consensusValue: 53 });
  });
  it('continues above the tolerance, ends without consensus at the last round, halts below two parties', () => {
    const base = { parties: [{ weight: 1 }, { weight: 1 }], values: [40, 60], tolerance: 5, maxRounds: 3 };
    assert.equal(judgeRound({ ...base, round: 2 }).decision, 'continue');
    assert.deepEqual(judgeRound({ ...base, round: 3 }), { decision: 'no_consensus', spread: 20, consensusValue: null });
    assert.equal(judgeRound({ ...base, parties: [{ weight: 1 }], values: [40], round: 1 }).decision, 'halted');
  });
});
