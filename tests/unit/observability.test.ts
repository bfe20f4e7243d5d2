/** The observability unit on its own: the network state as a prompt note and a validation bound. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveBounds } from '../../activities/agent/context-units.ts';
import { observe } from '../../activities/agent/observability.ts';

const topic = { name: 'throughput', unit: 'Mbps', min: 10, max: 134 };
const base = { role: 'bo' as const, negotiationId: 'n', round: 2, topic, party: null, incoming: {} };

describe('observability unit', () => {
  it('contributes nothing before any telemetry arrived', () => {
    const c = observe({ ...base, network: null });
    assert.deepEqual(c, { unit: 'observability', notes: [], warnings: [] });
  });

  it('states the network in the prompt and bounds the topic by the achievable capacity', () => {
    const c = observe({ ...base, network: { capacityMbps: 62.5, cqi: 7, loadPercent: 80, source: 'emulated-ran' } });
    assert.deepEqual(c.notes, ['network now (emulated-ran): CQI 7, achievable capacity 62.5 Mbps, load 80 %.']);
    assert.deepEqual(effectiveBounds(topic, [c]), { min: 10, max: 62.5 });
    assert.equal(c.warnings[0]?.code, 'network_capacity');
  });

  it('raises no warning while the cell can deliver the whole range', () => {
    const c = observe({ ...base, network: { capacityMbps: 200, source: 'operator' } });
    assert.deepEqual(c.warnings, []);
    assert.deepEqual(effectiveBounds(topic, [c]), { min: 10, max: 134 });
  });
});
