import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bestResponse,
  closedFormOptimum,
  iterateConsensus,
  type QuadraticUtility,
} from '../../core/optimizer/consensus.ts';

const bounds = { min: 0, max: 134 };
const u = (partyId: string, target: number, weight: number): QuadraticUtility => ({ partyId, target, weight });

/** A small deterministic generator, so the "random" cases are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('optimizer: eq. (1) with MAESTRO’s consensus term', () => {
  it('the closed form is the weighted mean of the targets', () => {
    assert.equal(closedFormOptimum([u('a', 20, 1), u('b', 100, 1)], bounds), 60);
    assert.equal(closedFormOptimum([u('a', 20, 3), u('b', 100, 1)], bounds), 40);
  });

  it('the closed form is clipped to the topic’s bounds', () => {
    assert.equal(closedFormOptimum([u('a', 120, 1), u('b', 130, 2)], { min: 0, max: 100 }), 100);
    assert.equal(closedFormOptimum([u('a', 5, 1), u('b', 15, 1)], { min: 30, max: 100 }), 30);
  });

  it('the iterates converge to the closed form for 2, 5, 10 and 20 parties from any start', () => {
    const rand = lcg(7);
    for (const n of [2, 5, 10, 20]) {
      for (let trial = 0; trial < 10; trial++) {
        const utilities = Array.from({ length: n }, (_, i) => u(`p${i}`, rand() * 134, 0.1 + rand() * 9.9));
        const initialValues = utilities.map(() => rand() * 134);
        const result = iterateConsensus({ utilities, bounds, initialValues });
        const optimum = closedFormOptimum(utilities, bounds);
        assert.ok(result.converged, `n=${n} trial=${trial} did not converge`);
        assert.ok(Math.abs(result.value - optimum) < 1e-3, `n=${n}: ${result.value} vs ${optimum}`);
        for (const x of result.values) assert.ok(Math.abs(x - optimum) < 1e-3, 'every demand reaches the consensus');
      }
    }
  });

  it('the iterates respect the bounds when the weighted mean lies outside them', () => {
    const result = iterateConsensus({ utilities: [u('a', 120, 1), u('b', 130, 2)], bounds: { min: 0, max: 100 } });
    assert.ok(result.converged);
    assert.ok(Math.abs(result.value - 100) < 1e-3);
  });

  it('each step moves the demands toward each other (the trace shows the spread shrinking)', () => {
    const result = iterateConsensus({ utilities: [u('a', 20, 1), u('b', 100, 1)], bounds, traceEvery: 1 });
    const spreads = result.trace.map((t) => Math.max(...t.values) - Math.min(...t.values));
    assert.equal(spreads[0], 80);
    assert.ok(spreads.at(-1)! < 1e-3);
  });

  it('a party’s best response to converged prices is the consensus itself', () => {
    const utilities = [u('a', 20, 2), u('b', 100, 1), u('c', 70, 0.5)];
    const result = iterateConsensus({ utilities, bounds });
    utilities.forEach((utility, i) => {
      const response = bestResponse(utility, bounds, {
        proposal: result.value,
        price: result.prices[i]!,
        penalty: result.penalty,
      });
      assert.ok(Math.abs(response - result.value) < 1e-2, `${utility.partyId}: ${response} vs ${result.value}`);
    });
    assert.equal(bestResponse(utilities[0]!, bounds, null), 20, 'without feedback a party proposes its target');
  });

  it('rejects utilities that make no sense', () => {
    assert.throws(() => closedFormOptimum([u('a', 20, 0)], bounds), /weight of a must be > 0/);
    assert.throws(() => closedFormOptimum([u('a', 20, 1)], { min: 5, max: 5 }), /min < max/);
    assert.throws(() => iterateConsensus({ utilities: [], bounds }), /at least one/);
  });
});
