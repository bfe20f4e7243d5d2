/**
 * The slice operator's math: TBS (TS 38.214 §5.1.3.2), link adaptation, throughput and PRB sizing
 * on the reference cell, slice plans, the A1 policy, and the 38.306 §4.1.2 figure of the paper.
 * Expected numbers are worked out by hand in the comments, from the spec's steps, not from the code.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../core/config.ts';
import { networkIntentSchema, ranCellSchema, sliceDemandSchema } from '../../core/network/contracts.ts';
import { cellDownlinkMaxDataRateMbps, maxCodeRate, maxDataRateMbps } from '../../core/network/max-data-rate.ts';
import { cqiTable1, cqiTable2, mcsTable1, mcsTable2, tbsTable } from '../../core/network/nr-tables.ts';
import {
  a1SliceSlaPolicy,
  a1SliceSlaPolicySchema,
  cellCapacityMbps,
  downlinkThroughputMbps,
  mcsForCqi,
  nrCellIdentityOf,
  planNetworkIntent,
  prbsForThroughput,
  referenceCell,
  type A1SliceSlaPolicy,
} from '../../core/network/slice-operator.ts';
import { transportBlockSizeBits } from '../../core/network/tbs.ts';

const demand = (sliceId: string, throughputMbps: number) => sliceDemandSchema.parse({ sliceId, throughputMbps });

/** One layer, no xOverhead: TBS of `prbs` PRBs over `symbols` PDSCH symbols at (Q_m, R), with `dmrs` DMRS REs per PRB. */
const tbs = (prbs: number, symbols: number, qm: number, codeRate: number, dmrs: number): number =>
  transportBlockSizeBits({
    prbs,
    pdschSymbols: symbols,
    dmrsResPerPrb: dmrs,
    overheadResPerPrb: 0,
    modulationOrder: qm,
    codeRate,
    layers: 1,
  });

describe('TS 38.214 §5.1.3.2 transport block size', () => {
  it('step 3 (N_info ≤ 3824) quantizes and looks the TBS up in Table 5.1.3.2-1', () => {
    // 10 PRBs, 13 symbols, 12 DMRS REs, MCS 11 of table 1 (Q_m 4, R 378/1024), 1 layer.
    // N'_RE = 12·13 − 12 − 0 = 144; N_RE = 144·10 = 1440; N_info = 1440·(378/1024)·4 = 2126.25 ≤ 3824.
    // n = max(3, ⌊log2 2126.25⌋ − 6) = max(3, 11 − 6) = 5; N'_info = max(24, 32·⌊2126.25/32⌋) = 32·66 = 2112.
    // Smallest table entry ≥ 2112: … 2088, 2152 → 2152.
    assert.equal(tbs(10, 13, 4, 378 / 1024, 12), 2152);
    // 1 PRB, 2 symbols: N'_RE = 24 − 12 = 12; N_info = 12·(120/1024)·2 = 2.8125; n = 3;
    // N'_info = max(24, 8·⌊2.8125/8⌋ = 0) = 24 → TBS 24, the table's first entry.
    assert.equal(tbs(1, 2, 2, 120 / 1024, 12), 24);
  });

  it('step 4 with R > 1/4 and N′_info > 8424 segments into C code blocks (a full slot of the reference cell)', () => {
    // 106 PRBs, 13 symbols, MCS 28 (Q_m 6, R 948/1024), 1 layer.
    // N'_RE = 144; N_RE = 144·106 = 15264; N_info = 15264·0.92578125·6 = 84786.75 > 3824.
    // n = ⌊log2(84786.75 − 24)⌋ − 5 = 16 − 5 = 11; (84762.75)/2048 = 41.39 → 41; N'_info = 41·2048 = 83968.
    // R > 1/4 and N'_info > 8424: C = ⌈(83968 + 24)/8424⌉ = ⌈9.97⌉ = 10;
    // TBS = 8·10·⌈83992/80⌉ − 24 = 80·1050 − 24 = 83976.
    assert.equal(tbs(106, 13, 6, 948 / 1024, 12), 83976);
  });

  it('step 4 with R > 1/4 and N′_info ≤ 8424 is one code block, byte-aligned', () => {
    // 10 PRBs, 13 symbols, MCS 28: N_RE = 1440; N_info = 1440·5.5546875 = 7998.75.
    // n = ⌊log2 7974.75⌋ − 5 = 12 − 5 = 7; 7974.75/128 = 62.30 → 62; N'_info = max(3840, 7936) = 7936.
    // TBS = 8·⌈(7936 + 24)/8⌉ − 24 = 7960 − 24 = 7936.
    assert.equal(tbs(10, 13, 6, 948 / 1024, 12), 7936);
  });

  it('step 4 with R ≤ 1/4 uses LDPC base graph 2 blocks of ≤ 3816 bits', () => {
    // 106 PRBs, 13 symbols, MCS 1 of table 1 (Q_m 2, R 157/1024 ≈ 0.153 ≤ 1/4), 1 layer.
    // N_RE = 15264; N_info = 15264·(157/1024)·2 = 4680.5625 > 3824.
    // n = ⌊log2 4656.5625⌋ − 5 = 12 − 5 = 7; 4656.5625/128 = 36.38 → 36; N'_info = max(3840, 4608) = 4608.
    // C = ⌈(4608 + 24)/3816⌉ = ⌈1.21⌉ = 2; TBS = 16·⌈4632/16⌉ − 24 = 16·290 − 24 = 4616.
    assert.equal(tbs(106, 13, 2, 157 / 1024, 12), 4616);
  });

  it('step 4 breaks rounding ties towards the next largest integer', () => {
    // 54 PRBs, 13 symbols, 24 DMRS REs: N'_RE = 132; N_RE = 7128; Q_m 2, R 1/2: N_info = 7128.
    // n = ⌊log2 7104⌋ − 5 = 7; 7104/128 = 55.5, a tie → 56; N'_info = 7168 (rounding down would give 7040).
    // One code block: TBS = 8·⌈7192/8⌉ − 24 = 7168.
    assert.equal(tbs(54, 13, 2, 0.5, 24), 7168);
  });

  it('caps N′_RE at 156, counts layers, and gives 0 for 0 PRBs or no RE left', () => {
    const base = { pdschSymbols: 14, dmrsResPerPrb: 0, overheadResPerPrb: 0, modulationOrder: 2, codeRate: 0.5 };
    // 14 symbols, no DMRS: N'_RE = 168 → 156. 2 PRBs, 2 layers: N_info = 312·0.5·2·2 = 624;
    // n = max(3, 9 − 6) = 3; N'_info = 8·78 = 624 → table entry 640.
    assert.equal(transportBlockSizeBits({ ...base, prbs: 2, layers: 2 }), 640);
    assert.equal(transportBlockSizeBits({ ...base, prbs: 0, layers: 1 }), 0);
    assert.equal(transportBlockSizeBits({ ...base, prbs: 4, layers: 1, pdschSymbols: 1, dmrsResPerPrb: 12 }), 0);
    assert.throws(() => transportBlockSizeBits({ ...base, prbs: -1, layers: 1 }), RangeError);
  });

  it('never decreases as PRBs grow, for every MCS of both tables (what PRB sizing bisects on)', () => {
    for (const mcs of [...mcsTable1, ...mcsTable2]) {
      let previous = 0;
      for (let prbs = 1; prbs <= 275; prbs++) {
        const tbs = transportBlockSizeBits({
          prbs,
          pdschSymbols: 13,
          dmrsResPerPrb: 12,
          overheadResPerPrb: 0,
          modulationOrder: mcs.modulationOrder,
          codeRate: mcs.codeRateX1024 / 1024,
          layers: 1,
        });
        assert.ok(
          tbs >= previous,
          `MCS ${mcs.mcsIndex} (Q_m ${mcs.modulationOrder}): ${prbs} PRBs give ${tbs} < ${previous}`,
        );
        previous = tbs;
      }
    }
  });
});

describe('link adaptation: CQI → MCS', () => {
  it('picks the highest MCS of table 1 whose efficiency does not exceed the CQI’s', () => {
    // CQI 15: 5.5547 = MCS 28. CQI 10: 2.7305 = MCS 18 (Q_m 6, 466). CQI 9: 2.4063 = MCS 15
    // (MCS 16 is 2.5703, above). CQI 7: 1.4766 = MCS 11. CQI 4: 0.6016 = MCS 4.
    const expected: [cqi: number, mcsIndex: number, qm: number, rX1024: number][] = [
      [15, 28, 6, 948],
      [14, 26, 6, 873],
      [10, 18, 6, 466],
      [9, 15, 4, 616],
      [7, 11, 4, 378],
      [4, 4, 2, 308],
      [2, 0, 2, 120],
    ];
    for (const [cqi, mcsIndex, modulationOrder, rX1024] of expected) {
      const mcs = mcsForCqi(referenceCell, cqi);
      assert.deepEqual(
        { mcsIndex: mcs?.mcsIndex, modulationOrder: mcs?.modulationOrder, codeRate: mcs?.codeRate },
        { mcsIndex, modulationOrder, codeRate: rX1024 / 1024 },
        `CQI ${cqi}`,
      );
    }
  });

  it('falls back to MCS 0 below it (CQI 1) and sends nothing at CQI 0', () => {
    assert.equal(mcsForCqi(referenceCell, 1)?.mcsIndex, 0);
    assert.equal(mcsForCqi(referenceCell, 0), null);
    assert.throws(() => mcsForCqi(referenceCell, 16), RangeError);
    assert.throws(() => mcsForCqi(referenceCell, 2.5), RangeError);
  });

  it('pairs CQI table 2 with MCS table 2 (256QAM)', () => {
    const cell = ranCellSchema.parse({ cellId: 'cell-256qam', cqiTable: 2 });
    // CQI 15: 7.4063 = MCS 27 (Q_m 8, 948). CQI 12: 5.5547 = MCS 21 (Q_m 8, 711). CQI 7: 2.7305 = MCS 11.
    assert.deepEqual(
      [15, 12, 7].map((cqi) => mcsForCqi(cell, cqi)?.mcsIndex),
      [27, 21, 11],
    );
    assert.equal(mcsForCqi(cell, 12)?.modulationOrder, 8);
  });
});

describe('throughput and PRB sizing on the reference cell', () => {
  it('is the MAESTRO testbed cell with a DDDDDDDSUU pattern and a 12-symbol special slot', () => {
    assert.equal(referenceCell.prbs, 106);
    assert.equal(referenceCell.subcarrierSpacingKHz, 30);
    assert.equal(referenceCell.mimoLayers, 1);
    assert.deepEqual(referenceCell.tdd, {
      periodSlots: 10,
      downlinkSlots: 7,
      specialSlotDownlinkSymbols: 12,
      uplinkSlots: 2,
    });
  });

  it('delivers 131.5008 Mbps at CQI 15', () => {
    // Full slot (13 PDSCH symbols): TBS 83976 (see the step 4 test).
    // Special slot, 12 − 1 = 11 PDSCH symbols: N'_RE = 132 − 12 = 120; N_RE = 12720;
    // N_info = 12720·5.5546875 = 70655.625; n = 16 − 5 = 11; 70631.625/2048 = 34.49 → 34 → 69632;
    // C = ⌈69656/8424⌉ = 9; TBS = 72·⌈69656/72⌉ − 24 = 72·968 − 24 = 69672.
    // 2000 slots/s, 10-slot period → 200 periods/s: (7·83976 + 69672)·200 = 131 500 800 bit/s.
    assert.equal(cellCapacityMbps(referenceCell, 15), 131.5008);
  });

  it('delivers 35.3424 Mbps at CQI 7 (MCS 11, 16QAM)', () => {
    // Full slot: N_info = 15264·(378/1024)·4 = 22538.25; n = 14 − 5 = 9; 22514.25/512 = 43.97 → 44 → 22528;
    // C = ⌈22552/8424⌉ = 3; TBS = 24·⌈22552/24⌉ − 24 = 24·940 − 24 = 22536.
    // Special slot: N_info = 12720·1.4765625 = 18781.875; 18757.875/512 = 36.64 → 37 → 18944;
    // C = ⌈18968/8424⌉ = 3; TBS = 24·⌈18968/24⌉ − 24 = 24·791 − 24 = 18960.
    // (7·22536 + 18960)·200 = 35 342 400 bit/s.
    assert.equal(cellCapacityMbps(referenceCell, 7), 35.3424);
    assert.equal(cellCapacityMbps(referenceCell, 0), 0);
  });

  it('sizes 50 Mbps at CQI 15 to 41 PRBs (40 give 49.7792 Mbps)', () => {
    // 40 PRBs: full slot N_info = 5760·5.5546875 = 31995; n = 14 − 5 = 9; 31971/512 = 62.44 → 62 → 31744;
    //   C = 4; TBS = 32·⌈31768/32⌉ − 24 = 32·993 − 24 = 31752. Special: N_info = 4800·5.5546875 = 26662.5;
    //   26638.5/512 = 52.03 → 52 → 26624; C = 4; TBS = 32·833 − 24 = 26632. (7·31752 + 26632)·200 = 49.7792 Mbps.
    // 41 PRBs: full slot N_info = 5904·5.5546875 = 32794.875; n = 15 − 5 = 10; 32770.875/1024 = 32.003 → 32
    //   → 32768; C = 4; TBS = 32·⌈32792/32⌉ − 24 = 32·1025 − 24 = 32776. Special: N_info = 4920·5.5546875
    //   = 27329.0625; 27305.0625/512 = 53.33 → 53 → 27136; C = 4; TBS = 32·849 − 24 = 27144.
    //   (7·32776 + 27144)·200 = 51.3152 Mbps ≥ 50.
    assert.equal(downlinkThroughputMbps(referenceCell, 15, 40), 49.7792);
    assert.deepEqual(prbsForThroughput(referenceCell, 15, 50), { prbs: 41, expectedMbps: 51.3152, feasible: true });
  });

  it('gives 0 PRBs for no demand and every PRB, infeasible, past the capacity', () => {
    assert.deepEqual(prbsForThroughput(referenceCell, 15, 0), { prbs: 0, expectedMbps: 0, feasible: true });
    assert.deepEqual(prbsForThroughput(referenceCell, 15, 140), {
      prbs: 106,
      expectedMbps: 131.5008,
      feasible: false,
    });
    assert.deepEqual(prbsForThroughput(referenceCell, 0, 1), { prbs: 106, expectedMbps: 0, feasible: false });
    assert.throws(() => downlinkThroughputMbps(referenceCell, 15, 107), RangeError);
    assert.throws(() => prbsForThroughput(referenceCell, 15, -1), RangeError);
  });

  it('returns the smallest sufficient PRB count for every demand up to the capacity', () => {
    for (let mbps = 0.5; mbps <= 131; mbps += 0.5) {
      const { prbs, feasible } = prbsForThroughput(referenceCell, 12, mbps);
      if (!feasible) break;
      assert.ok(downlinkThroughputMbps(referenceCell, 12, prbs) >= mbps, `${mbps} Mbps: ${prbs} PRBs fall short`);
      assert.ok(downlinkThroughputMbps(referenceCell, 12, prbs - 1) < mbps, `${mbps} Mbps: ${prbs - 1} PRBs suffice`);
    }
  });
});

describe('TS 38.306 §4.1.2: the paper’s 134 Mbps', () => {
  it('170.14 Mbps per direction, 133.68 Mbps with 110 of 140 symbols downlink', () => {
    // 10⁻⁶ · 1 layer · Q_m 6 · f 1 · (948/1024) · (106·12 / T_s) · (1 − 0.14), T_s = 10⁻³/(14·2) s:
    // 106·12·28000 = 35 616 000 RE/s; ·6·0.92578125 = 197 835 750; ·0.86 = 170 138 745 bit/s.
    const fddMbps = maxDataRateMbps({
      layers: 1,
      qm: 6,
      scalingFactor: 1,
      rMax: maxCodeRate,
      nPrb: 106,
      numerology: 1,
      overhead: 0.14,
    });
    assert.ok(Math.abs(fddMbps - 170.138745) < 1e-6, `${fddMbps}`);
    // DDDDDDDSUU with 12 downlink symbols in S: (7·14 + 12)/140 = 110/140 = 11/14 → 133.68 Mbps.
    assert.ok(Math.abs(cellDownlinkMaxDataRateMbps(referenceCell) - (170.138745 * 11) / 14) < 1e-6);
    assert.equal(Math.round(cellDownlinkMaxDataRateMbps(referenceCell)), 134);
  });

  it('the TBS path lands within 2 % below it (PDCCH and DMRS instead of a flat 14 % overhead)', () => {
    const formulaMbps = cellDownlinkMaxDataRateMbps(referenceCell);
    const tbsMbps = cellCapacityMbps(referenceCell, 15);
    assert.ok(tbsMbps < formulaMbps && tbsMbps > 0.98 * formulaMbps, `${tbsMbps} vs ${formulaMbps}`);
  });
});

describe('planNetworkIntent', () => {
  it('gives each slice the PRBs for its throughput when they fit', () => {
    const intent = planNetworkIntent(referenceCell, 15, [demand('embb-a', 50), demand('embb-b', 30)]);
    assert.deepEqual(networkIntentSchema.parse(intent), intent);
    assert.equal(intent.fits, true);
    assert.equal(intent.mcsIndex, 28);
    assert.equal(intent.capacityMbps, 131.5008);
    // 50 Mbps → 41 PRBs (above); 30 Mbps → 25 PRBs (prbsForThroughput). 41 + 25 = 66 ≤ 106.
    assert.deepEqual(
      intent.slices.map((s) => [s.prbs, s.expectedMbps]),
      [
        [41, 50],
        [prbsForThroughput(referenceCell, 15, 30).prbs, 30],
      ],
    );
    assert.equal(intent.prbsUsed, 41 + intent.slices[1]!.prbs);
    // 41/106 = 38.68 % → 39; it fits, so max = min.
    assert.deepEqual(intent.slices[0]!.rrmPolicyRatio, {
      rRMPolicyDedicatedRatio: 0,
      rRMPolicyMinRatio: 39,
      rRMPolicyMaxRatio: 39,
    });
  });

  it('scales every slice down in proportion when they overflow the cell', () => {
    const demands = [demand('a', 80), demand('b', 60), demand('c', 20)];
    const needed = demands.map((d) => prbsForThroughput(referenceCell, 15, d.throughputMbps).prbs);
    assert.deepEqual(needed, [64, 49, 16]);
    const intent = planNetworkIntent(referenceCell, 15, demands);
    assert.equal(intent.fits, false);
    assert.equal(intent.prbsUsed, 106);
    // Shares of 106 over 129 needed: 52.59, 40.26, 13.15 → floors 52, 40, 13 (105); the leftover PRB
    // goes to the largest remainder (0.59, slice a) → 53, 40, 13.
    assert.deepEqual(
      intent.slices.map((s) => s.prbs),
      [53, 40, 13],
    );
    // 40 PRBs deliver 49.7792 Mbps (hand-computed above); each expectation stays under its request.
    assert.equal(intent.slices[1]!.expectedMbps, 49.7792);
    for (const s of intent.slices) assert.ok(s.expectedMbps < s.requestedMbps);
    // Min ratios: 50 % exactly, 37.74 → 38, 12.26 → 13 sums to 101; the largest rounding gain
    // (slice c, 0.74) gives one point back → 50, 38, 12. Max: what the requests need, 60.38 → 61,
    // 46.23 → 47, 15.09 → 16.
    assert.deepEqual(
      intent.slices.map((s) => [s.rrmPolicyRatio.rRMPolicyMinRatio, s.rrmPolicyRatio.rRMPolicyMaxRatio]),
      [
        [50, 61],
        [38, 47],
        [12, 16],
      ],
    );
    assert.deepEqual(networkIntentSchema.parse(intent), intent);
  });

  it('shares the cell by demand when no slice can be served (CQI 0)', () => {
    const intent = planNetworkIntent(referenceCell, 0, [demand('a', 10), demand('b', 5)]);
    // Weights 10 : 5 → 70.67, 35.33 → 70 + 1 (largest remainder), 35.
    assert.deepEqual(
      intent.slices.map((s) => [s.prbs, s.expectedMbps]),
      [
        [71, 0],
        [35, 0],
      ],
    );
    assert.equal(intent.fits, false);
    assert.equal(intent.mcsIndex, null);
  });

  it('rejects a slice listed twice', () => {
    assert.throws(() => planNetworkIntent(referenceCell, 15, [demand('a', 1), demand('a', 2)]), /twice/);
  });
});

/** The policy's targeted cells (its resource statement lists cells or tracking areas). */
const cellsOf = (policy: A1SliceSlaPolicy) =>
  policy.sliceSlaResources && 'cellIdList' in policy.sliceSlaResources ? policy.sliceSlaResources.cellIdList : [];

describe('A1 slice SLA policy (ORAN_SliceSLATarget_1.0.0)', () => {
  const intent = planNetworkIntent(referenceCell, 15, [
    sliceDemandSchema.parse({ sliceId: 'a', sst: 1, sd: '0000A1', throughputMbps: 80 }),
    demand('b', 60),
  ]);

  it('carries the plan in kbps, scoped to the slice, targeted at the cell', () => {
    const slice = intent.slices[0]!;
    const policy = a1SliceSlaPolicy(referenceCell, slice);
    assert.deepEqual(a1SliceSlaPolicySchema.parse(policy), policy);
    assert.deepEqual(policy.scope.sliceId, { sst: 1, sd: '0000A1', plmnId: { mcc: '001', mnc: '01' } });
    assert.equal(policy.sliceSlaObjectives.guaDlThptPerSlice, Math.round(slice.expectedMbps * 1000));
    assert.equal(policy.sliceSlaObjectives.maxDlThptPerSlice, 80_000);
    const ncI = cellsOf(policy)[0]?.cId.ncI;
    assert.ok(ncI !== undefined && Number.isInteger(ncI) && ncI >= 0 && ncI < 2 ** 36);
  });

  it('derives the NR cell identity deterministically, or takes a given one', () => {
    assert.equal(nrCellIdentityOf('cell-n78-a'), nrCellIdentityOf('cell-n78-a'));
    assert.notEqual(nrCellIdentityOf('cell-n78-a'), nrCellIdentityOf('cell-n78-b'));
    const policy = a1SliceSlaPolicy(referenceCell, intent.slices[1]!, { mcc: '208', mnc: '95' }, 12345678);
    assert.deepEqual(policy.sliceSlaResources, {
      cellIdList: [{ plmnId: { mcc: '208', mnc: '95' }, cId: { ncI: 12345678 } }],
    });
  });

  it('follows the A1TD schema: cells are a resource statement, not part of the scope', () => {
    const policy = a1SliceSlaPolicy(referenceCell, intent.slices[0]!);
    const misplaced = { ...policy, scope: { ...policy.scope, cellIdList: cellsOf(policy) } };
    assert.equal(a1SliceSlaPolicySchema.safeParse(misplaced).success, false);
    assert.equal(a1SliceSlaPolicySchema.safeParse({ ...policy, sliceSlaObjectives: {} }).success, false);
    const badPlmn = { ...policy, scope: { sliceId: { sst: 1, plmnId: { mcc: '1', mnc: '01' } } } };
    assert.equal(a1SliceSlaPolicySchema.safeParse(badPlmn).success, false);
  });
});

// The transcription against the spec itself, where the shared corpus is present (read, never copied).
const specFile = path.join(projectRoot, '..', 'shared', 'corpus', '3gpp-specs', '38.214_PHY-Data_j30.md');

/** The pipe-table rows (cells trimmed, header and separator dropped) after the line that starts with `title`. */
function pipeTableAfter(markdown: string, title: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(title));
  assert.ok(start >= 0, `${title} not found in the spec`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(2);
}

const modulationOrderOf: Record<string, number> = { QPSK: 2, '16QAM': 4, '64QAM': 6, '256QAM': 8 };

describe(
  'the transcribed tables equal TS 38.214 (shared corpus)',
  { skip: existsSync(specFile) ? false : `${specFile} absent` },
  () => {
    const spec = existsSync(specFile) ? readFileSync(specFile, 'utf8') : '';

    it('CQI Tables 5.2.2.1-2 and 5.2.2.1-3', () => {
      for (const [title, table] of [
        ['Table 5.2.2.1-2:', cqiTable1],
        ['Table 5.2.2.1-3:', cqiTable2],
      ] as const) {
        const rows = pipeTableAfter(spec, title).filter(([, modulation]) => modulation !== 'out of range');
        const parsed = rows.map(([cqi, modulation, rate, efficiency]) => ({
          cqi: Number(cqi),
          modulationOrder: modulationOrderOf[modulation!],
          codeRateX1024: Number(rate),
          spectralEfficiency: Number(efficiency),
        }));
        assert.equal(parsed.length, 15, title);
        assert.deepEqual(table, parsed, title);
      }
    });

    it('MCS Tables 5.1.3.1-1 and 5.1.3.1-2 (reserved rows excluded)', () => {
      for (const [title, table] of [
        ['Table 5.1.3.1-1:', mcsTable1],
        ['Table 5.1.3.1-2:', mcsTable2],
      ] as const) {
        const parsed = pipeTableAfter(spec, title)
          .filter(([, , rate]) => rate !== 'reserved')
          .map(([mcsIndex, qm, rate, efficiency]) => ({
            mcsIndex: Number(mcsIndex),
            modulationOrder: Number(qm),
            codeRateX1024: Number(rate),
            spectralEfficiency: Number(efficiency),
          }));
        assert.deepEqual(table, parsed, title);
      }
    });

    it('TBS Table 5.1.3.2-1 (four Index | TBS column pairs)', () => {
      const entries = pipeTableAfter(spec, 'Table 5.1.3.2-1:').flatMap((row) =>
        [0, 2, 4, 6].flatMap((c) => (row[c] ? [{ index: Number(row[c]), tbs: Number(row[c + 1]) }] : [])),
      );
      entries.sort((a, b) => a.index - b.index);
      assert.deepEqual(
        entries.map((e) => e.index),
        Array.from({ length: 93 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        tbsTable,
        entries.map((e) => e.tbs),
      );
    });
  },
);
