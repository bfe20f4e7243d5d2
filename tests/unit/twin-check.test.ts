/** The twin check before enforcement (core/network/twin-check.ts) and the MCS ceiling it sets on the plan. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ranCellSchema } from '../../core/network/contracts.ts';
import { cqiSinrFloorDb, SINR_TO_CQI_THRESHOLDS_DB, sinrToCqi } from '../../core/network/cqi-sinr.ts';
import { cqiTable1, cqiTable2 } from '../../core/network/nr-tables.ts';
import { mcsForCqi, planNetworkIntent, referenceCell } from '../../core/network/slice-operator.ts';
import { chooseCheckedMcs, mcsCeilingOf, twinCheckPlan, type TwinCheckPlan } from '../../core/network/twin-check.ts';

describe('the SINR a CQI report stands for', () => {
  it('table 1: the switching point of the CQI, the one sinrToCqi reports it from; CQI 0 has none', () => {
    for (let cqi = 1; cqi <= 15; cqi++) {
      const floor = cqiSinrFloorDb(1, cqi)!;
      assert.equal(floor, SINR_TO_CQI_THRESHOLDS_DB[cqi - 1]);
      assert.equal(sinrToCqi(floor), cqi);
    }
    assert.equal(cqiSinrFloorDb(1, 0), null);
    assert.throws(() => cqiSinrFloorDb(1, 16), RangeError);
  });
  it('table 2: placed by spectral efficiency on table 1’s curve, rising with the CQI, Shannon’s slope above 5.55 b/RE', () => {
    const floors = cqiTable2.map((row) => cqiSinrFloorDb(2, row.cqi)!);
    for (let i = 1; i < floors.length; i++) assert.ok(floors[i]! > floors[i - 1]!, `CQI ${i + 1}`);
    // a table-2 row with a table-1 row's efficiency gets that row's SINR
    for (const row of cqiTable2) {
      const same = cqiTable1.find((r) => r.spectralEfficiency === row.spectralEfficiency);
      if (same) assert.equal(cqiSinrFloorDb(2, row.cqi), SINR_TO_CQI_THRESHOLDS_DB[same.cqi - 1]);
    }
    // 256QAM 948/1024 (7.41 b/RE) needs ~5.6 dB more than 64QAM 948/1024 (5.55 b/RE)
    const top = cqiSinrFloorDb(2, 15)! - SINR_TO_CQI_THRESHOLDS_DB[14]!;
    assert.ok(top > 5 && top < 6.5, `${top}`);
  });
});

describe('twin check plans', () => {
  it('the CQI’s MCS and four below it on AWGN at the floor less the margin, on all the cell’s PRBs', () => {
    const plan = twinCheckPlan(referenceCell, 13, 2);
    assert.equal(plan.kind, 'candidates');
    if (plan.kind !== 'candidates') return;
    const mcs = mcsForCqi(referenceCell, 13)!.mcsIndex;
    assert.equal(plan.cqiMcsIndex, mcs);
    assert.deepEqual(
      plan.candidates.map((c) => c.mcsIndex),
      [mcs, mcs - 1, mcs - 2, mcs - 3, mcs - 4],
    );
    const first = plan.candidates[0]!.orchestration;
    assert.equal(first.scenario.channel_model, 'awgn');
    assert.equal(first.scenario.snr_db, SINR_TO_CQI_THRESHOLDS_DB[12]! - 2);
    assert.equal(first.link.num_prbs, referenceCell.prbs);
    assert.equal(first.link.mcs_table, referenceCell.cqiTable);
    assert.equal(first.link.subcarrier_spacing_khz, 30);
  });
  it('skips what the twin cannot simulate, and CQI 0', () => {
    assert.equal(twinCheckPlan(referenceCell, 0).kind, 'skipped');
    const mmWave = ranCellSchema.parse({
      cellId: 'fr2',
      subcarrierSpacingKHz: 120,
      channelBandwidthMHz: 100,
      prbs: 66,
    });
    assert.match((twinCheckPlan(mmWave, 10) as { reason: string }).reason, /FR1/);
    const wide = ranCellSchema.parse({ cellId: 'wide', channelBandwidthMHz: 35 });
    assert.match((twinCheckPlan(wide, 10) as { reason: string }).reason, /35 MHz/);
    const eightLayers = ranCellSchema.parse({ cellId: 'mimo', mimoLayers: 8 });
    assert.match((twinCheckPlan(eightLayers, 10) as { reason: string }).reason, /4 layers/);
  });
});

describe('choosing the MCS from the twin’s BLER', () => {
  const plan = twinCheckPlan(referenceCell, 15) as Extract<TwinCheckPlan, { kind: 'candidates' }>;
  const bler = (...values: (number | null)[]) => values.map((b) => (b === null ? null : { bler: b }));

  it('confirms the CQI’s MCS when its BLER is within 10 %: no ceiling', () => {
    const check = chooseCheckedMcs(plan, bler(0.04, 0.01, 0, 0, 0))!;
    assert.equal(check.mcsIndex, plan.cqiMcsIndex);
    assert.equal(check.belowTarget, false);
    assert.equal(mcsCeilingOf(check), undefined);
  });
  it('takes the highest MCS within 10 % when the CQI’s is above it, skipping plans the twin could not run', () => {
    const check = chooseCheckedMcs(plan, bler(0.6, null, 0.08, 0.01, 0))!;
    assert.equal(check.cqiMcsBler, 0.6);
    assert.equal(check.mcsIndex, plan.cqiMcsIndex - 2);
    assert.equal(check.bler, 0.08);
    assert.equal(mcsCeilingOf(check), plan.cqiMcsIndex - 2);
  });
  it('falls back to the most robust candidate, flagged, when none reaches 10 %; nothing when the twin ran none', () => {
    const check = chooseCheckedMcs(plan, bler(0.9, 0.8, 0.7, 0.5, 0.3))!;
    assert.equal(check.mcsIndex, plan.cqiMcsIndex - 4);
    assert.equal(check.belowTarget, true);
    assert.equal(chooseCheckedMcs(plan, bler(null, null, null, null, null)), null);
  });
});

describe('a plan under an MCS ceiling', () => {
  const slices = [
    { sliceId: 'bo-1', sst: 1, throughputMbps: 30 },
    { sliceId: 'bo-2', sst: 1, throughputMbps: 20 },
  ];
  it('schedules the lower MCS with more PRBs for the same throughput, and records the ceiling', () => {
    const free = planNetworkIntent(referenceCell, 15, slices);
    const capped = planNetworkIntent(referenceCell, 15, slices, { maxMcsIndex: 24 });
    assert.equal(free.mcsIndex, 28);
    assert.equal(capped.mcsIndex, 24);
    assert.equal(capped.maxMcsIndex, 24);
    assert.equal('maxMcsIndex' in free, false);
    assert.ok(capped.prbsUsed > free.prbsUsed, `${capped.prbsUsed} vs ${free.prbsUsed}`);
    assert.deepEqual(
      capped.slices.map((s) => s.expectedMbps),
      free.slices.map((s) => s.expectedMbps),
    );
    assert.ok(capped.capacityMbps < free.capacityMbps);
  });
});
