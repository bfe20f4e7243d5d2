import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { projectRoot } from '../../core/config.ts';
import { telemetryReportSchema, type NetworkIntent, type TelemetryReport } from '../../core/network/contracts.ts';
import {
  a1SliceSlaPolicy,
  downlinkThroughputMbps,
  cellCapacityMbps,
  planNetworkIntent,
  referenceCell,
} from '../../core/network/slice-operator.ts';
import { createA1Client } from '../../activities/network/a1-client.ts';
import { createRanClient } from '../../activities/network/ran-client.ts';
import { ReplayClock } from '../../ran-emulator/clock.ts';
import { EmulatedRan, RanError } from '../../ran-emulator/ran.ts';
import { startRanServer, type RanServer } from '../../ran-emulator/server.ts';
import { MAESTRO_FIG5_SEGMENTS, driveByTrace, scriptedTrace, umaLosPathLossDb } from '../../ran-emulator/synthetic.ts';
import { sinrToCqi } from '../../core/network/cqi-sinr.ts';
import { loadUcc5gTrace, parseUcc5gCsv, resampleHold, type CqiTrace } from '../../ran-emulator/trace.ts';

const fixture = path.join(projectRoot, 'tests', 'fixtures', 'traces', 'ucc5g-sample.csv');
const realTrace = path.join(projectRoot, '..', 'shared', 'data', 'cqi-ucc5g', 'B_2019.12.14_10.16.30.csv');
const header = 'Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,RSRQ,SNR,CQI,RSSI,DL_bitrate';
const csvRow = (stamp: string, mode: string, cqi: string): string =>
  `2020.03.01_09.${stamp},-8.4,51.9,10,Z,42,${mode},-90,-10,5.0,${cqi},-70,1000`;
const cqis = (t: CqiTrace): number[] => t.samples.map((s) => s.cqi);

describe('ran-emulator trace: the UCC 5G CSV format', () => {
  it('applies the rules to the fixture: 7 duplicates dropped, 9 CQIs filled, 37 one-second samples', () => {
    const t = loadUcc5gTrace(fixture);
    assert.equal(t.meta.source, fixture);
    assert.equal(t.meta.rowsRead, 40);
    assert.equal(t.meta.duplicatesDropped, 7);
    assert.equal(t.meta.invalidRowsDropped, 0);
    assert.equal(t.meta.rowsFilteredOut, 0);
    assert.equal(t.meta.filledValues, 9);
    assert.equal(t.meta.durationS, 37);
    assert.equal(t.meta.stepS, 1);
    assert.deepEqual(t.meta.networkModes, { LTE: 9, '5G': 20, 'HSPA+': 3, UMTS: 1 });
    assert.deepEqual(
      t.samples.map((s) => s.tS),
      Array.from({ length: 37 }, (_, i) => i),
    );
    // Leading gap back-filled (10), 0 s repeats ignored, '-'/empty/'n/a' forward-filled, 16 clamped
    // to 15, the 4 s and 2 s gaps held at the last value.
    assert.deepEqual(
      cqis(t),
      [
        10, 10, 10, 11, 12, 12, 13, 13, 14, 15, 15, 14, 12, 10, 9, 9, 9, 9, 8, 8, 8, 8, 8, 7, 6, 6, 5, 7, 9, 9, 11, 11,
        12, 13, 13, 14, 14,
      ],
    );
  });

  it('keeps the first of rows repeating a timestamp, even when the repeat carries another CQI', () => {
    const t = parseUcc5gCsv(
      [header, csvRow('00.00', '5G', '5'), csvRow('00.00', '5G', '9'), csvRow('00.01', '5G', '6')].join('\n'),
    );
    assert.deepEqual(cqis(t), [5, 6]);
    assert.equal(t.meta.duplicatesDropped, 1);
  });

  it('filters by NetworkMode when asked: the 5G rows only', () => {
    const t = loadUcc5gTrace(fixture, { networkModes: ['5G'] });
    assert.equal(t.meta.duplicatesDropped, 7);
    assert.equal(t.meta.rowsFilteredOut, 13);
    assert.equal(t.meta.filledValues, 2);
    assert.deepEqual(t.meta.networkModes, { '5G': 20 });
    // The first 5G row (09.00.02) becomes tS 0; the last (09.00.36) tS 34.
    assert.equal(t.meta.durationS, 35);
    assert.equal(t.samples[0]!.cqi, 10);
    assert.equal(t.samples.at(-1)!.tS, 34);
  });

  it('resamples onto a coarser grid and cuts at maxDurationS', () => {
    const coarse = loadUcc5gTrace(fixture, { stepS: 2 });
    assert.equal(coarse.samples.length, 19);
    assert.equal(coarse.meta.durationS, 38);
    assert.deepEqual(cqis(coarse), [10, 10, 12, 13, 14, 15, 12, 9, 9, 8, 8, 8, 6, 5, 9, 11, 12, 13, 14]);
    const cut = loadUcc5gTrace(fixture, { maxDurationS: 10 });
    assert.equal(cut.samples.length, 10);
    assert.equal(cut.meta.durationS, 10);
  });

  it('holds each value until the next sample (sample-and-hold, not interpolation)', () => {
    const held = resampleHold(
      [
        { tS: 0, cqi: 5 },
        { tS: 2.5, cqi: 7 },
        { tS: 3, cqi: 9 },
      ],
      1,
    );
    assert.deepEqual(held, [
      { tS: 0, cqi: 5 },
      { tS: 1, cqi: 5 },
      { tS: 2, cqi: 5 },
      { tS: 3, cqi: 9 },
    ]);
    const half = resampleHold(
      [
        { tS: 0, cqi: 5 },
        { tS: 1, cqi: 7 },
      ],
      0.5,
    );
    assert.deepEqual(
      half.map((x) => [x.tS, x.cqi]),
      [
        [0, 5],
        [0.5, 5],
        [1, 7],
      ],
    );
  });

  it('drops rows with a bad or backward timestamp and clamps CQI to 0–15', () => {
    const t = parseUcc5gCsv(
      [
        header,
        csvRow('00.00', '5G', '20'),
        'garbage,,,,,,5G,,,,7,,',
        csvRow('00.02', 'LTE', '-3'),
        csvRow('00.01', 'LTE', '8'),
        csvRow('00.03', 'LTE', '7.6'),
      ].join('\r\n'),
    );
    assert.equal(t.meta.invalidRowsDropped, 2);
    assert.deepEqual(cqis(t), [15, 15, 0, 8]);
  });

  it('names the file when there is no usable CQI, the file is missing, or a column is', () => {
    const noCqi = [header, csvRow('00.00', 'HSPA+', '-'), csvRow('00.01', 'HSPA+', '-')].join('\n');
    assert.throws(
      () => parseUcc5gCsv(noCqi, { source: 'drive-42.csv' }),
      /drive-42\.csv: no usable CQI value in 2 rows/,
    );
    assert.throws(() => loadUcc5gTrace('/nonexistent/trace.csv'), /\/nonexistent\/trace\.csv: cannot read/);
    assert.throws(() => parseUcc5gCsv('Timestamp,RSRP\n', { source: 'x.csv' }), /x\.csv: no CQI column/);
    assert.throws(() => loadUcc5gTrace(fixture, { networkModes: ['NR-SA'] }), /ucc5g-sample\.csv: no usable CQI/);
  });

  it(
    'loads the real drive B_2019.12.14_10.16.30: unique regular 1 s steps, CQI 0–15, 0 s duplicates dropped',
    { skip: !existsSync(realTrace) && 'the UCC 5G dataset is not in ../shared/data' },
    () => {
      const t = loadUcc5gTrace(realTrace);
      assert.ok(t.meta.duplicatesDropped > 0);
      assert.ok(t.meta.filledValues > 0, 'HSPA+ rows carry no CQI');
      assert.ok(t.samples.length > 1000);
      assert.equal(new Set(t.samples.map((s) => s.tS)).size, t.samples.length);
      t.samples.forEach((s, i) => {
        assert.equal(s.tS, i);
        assert.ok(Number.isInteger(s.cqi) && s.cqi >= 0 && s.cqi <= 15, `CQI ${s.cqi} at ${s.tS}`);
      });
      assert.equal(t.meta.durationS, t.samples.length);
    },
  );
});

describe('ran-emulator synthetic traces', () => {
  it('the drive-by is the same for the same seed and differs for another', () => {
    assert.deepEqual(driveByTrace({ seed: 42 }), driveByTrace({ seed: 42 }));
    assert.notDeepEqual(cqis(driveByTrace({ seed: 42 })), cqis(driveByTrace({ seed: 43 })));
  });

  it('the drive-by CQI falls with distance from the site on average, for every seed tried', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const t = driveByTrace({ seed, roadStartM: -450, roadEndM: 450, speedMps: 5 });
      assert.equal(t.samples.length, 181);
      for (const s of t.samples) assert.ok(Number.isInteger(s.cqi) && s.cqi >= 0 && s.cqi <= 15);
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const near = mean(t.samples.filter((s) => s.distanceM < 150).map((s) => s.cqi));
      const mid = mean(t.samples.filter((s) => s.distanceM >= 150 && s.distanceM < 300).map((s) => s.cqi));
      const far = mean(t.samples.filter((s) => s.distanceM >= 300).map((s) => s.cqi));
      assert.ok(near > mid + 2 && mid > far + 2, `seed ${seed}: near ${near}, mid ${mid}, far ${far}`);
    }
  });

  it('path loss follows TR 38.901 UMa LOS and is continuous at the breakpoint', () => {
    const d3D = Math.hypot(100, 23.5);
    assert.ok(
      Math.abs(umaLosPathLossDb(100, 3.5, 25, 1.5) - (28 + 22 * Math.log10(d3D) + 20 * Math.log10(3.5))) < 1e-9,
    );
    const breakpointM = (4 * 24 * 0.5 * 3.5e9) / 299_792_458;
    const jumpDb =
      umaLosPathLossDb(breakpointM + 0.01, 3.5, 25, 1.5) - umaLosPathLossDb(breakpointM - 0.01, 3.5, 25, 1.5);
    assert.ok(Math.abs(jumpDb) < 0.01, `jump ${jumpDb} dB`);
    assert.ok(umaLosPathLossDb(1000, 3.5, 25, 1.5) > umaLosPathLossDb(500, 3.5, 25, 1.5) + 9);
  });

  it('maps SINR to CQI at the table’s thresholds', () => {
    assert.equal(sinrToCqi(-10), 0);
    assert.equal(sinrToCqi(-6.7), 1);
    assert.equal(sinrToCqi(10), 8);
    assert.equal(sinrToCqi(22.69), 14);
    assert.equal(sinrToCqi(40), 15);
  });

  it('the scripted Fig. 5 trace: 13 until 200 s, 9 until 300 s, 4 until 400 s, 13 again until 600 s', () => {
    const t = scriptedTrace(MAESTRO_FIG5_SEGMENTS);
    assert.equal(t.samples.length, 600);
    assert.equal(t.meta.durationS, 600);
    const at = (tS: number): number => t.samples.find((s) => s.tS === tS)!.cqi;
    assert.deepEqual([0, 199, 200, 299, 300, 399, 400, 599].map(at), [13, 13, 7, 7, 3, 3, 13, 13]);
    const coarse = scriptedTrace(MAESTRO_FIG5_SEGMENTS, { stepS: 10 });
    assert.equal(coarse.samples.length, 60);
    assert.equal(coarse.samples[30]!.cqi, 3);
  });

  it('scripted noise is seeded, stays in 0–15 and keeps each segment’s level on average', () => {
    const segments = [
      { durationS: 300, cqi: 14 },
      { durationS: 300, cqi: 2, noiseStd: 3 },
    ];
    const a = scriptedTrace(segments, { noiseStd: 1, seed: 9 });
    assert.deepEqual(a, scriptedTrace(segments, { noiseStd: 1, seed: 9 }));
    assert.notDeepEqual(cqis(a), cqis(scriptedTrace(segments, { noiseStd: 1, seed: 10 })));
    for (const c of cqis(a)) assert.ok(Number.isInteger(c) && c >= 0 && c <= 15);
    const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
    assert.ok(Math.abs(mean(cqis(a).slice(0, 300)) - 14) < 0.5);
    assert.ok(new Set(cqis(a).slice(300)).size > 5, 'the segment’s own noise applies');
  });
});

/** An intent for the reference cell: given PRBs and requests; the other fields as the RAN ignores them. */
function intentOf(slices: { sliceId: string; sd?: string; prbs: number; requestedMbps: number }[]): NetworkIntent {
  return {
    cellId: referenceCell.cellId,
    cqi: 13,
    mcsIndex: 20,
    capacityMbps: 100,
    fits: true,
    prbsUsed: slices.reduce((sum, s) => sum + s.prbs, 0),
    slices: slices.map((s) => ({
      sliceId: s.sliceId,
      sst: 1,
      ...(s.sd ? { sd: s.sd } : {}),
      requestedMbps: s.requestedMbps,
      prbs: s.prbs,
      expectedMbps: s.requestedMbps,
      rrmPolicyRatio: { rRMPolicyDedicatedRatio: 0, rRMPolicyMinRatio: 0, rRMPolicyMaxRatio: 100 },
    })),
  };
}

/** CQI 13 for 3 s, then 4 for 3 s. */
const stepTrace = (): CqiTrace =>
  scriptedTrace([
    { durationS: 3, cqi: 13 },
    { durationS: 3, cqi: 4 },
  ]);

function ranWithCell(opts: ConstructorParameters<typeof EmulatedRan>[0] = {}): EmulatedRan {
  const ran = new EmulatedRan(opts);
  ran.addCell(referenceCell, stepTrace());
  return ran;
}

const cell = referenceCell;
const sliceOf = (r: TelemetryReport, id: string): number => r.slices.find((s) => s.sliceId === id)!.deliveredMbps;

describe('ran-emulator EmulatedRan', () => {
  it('delivers min(throughput of the slice’s PRBs at the CQI, its SLA) per slice', () => {
    const ran = ranWithCell();
    ran.enforce(
      intentOf([
        { sliceId: 'a', sd: '000001', prbs: 40, requestedMbps: 20 },
        { sliceId: 'b', sd: '000002', prbs: 60, requestedMbps: 500 },
      ]),
    );
    const r = ran.tick(cell.cellId)!;
    telemetryReportSchema.parse(r);
    assert.equal(r.tS, 0);
    assert.equal(r.cqi, 13);
    assert.equal(r.capacityMbps, cellCapacityMbps(cell, 13));
    assert.ok(downlinkThroughputMbps(cell, 13, 40) > 20, 'slice a is SLA-bound at CQI 13');
    assert.equal(sliceOf(r, 'a'), 20);
    assert.equal(sliceOf(r, 'b'), downlinkThroughputMbps(cell, 13, 60));
    assert.equal(r.deliveredMbps, 20 + downlinkThroughputMbps(cell, 13, 60));
    ran.tick(cell.cellId);
    ran.tick(cell.cellId);
    const poor = ran.tick(cell.cellId)!;
    assert.equal(poor.tS, 3);
    assert.equal(poor.cqi, 4);
    assert.ok(downlinkThroughputMbps(cell, 4, 40) < 20, 'slice a is radio-bound at CQI 4');
    assert.equal(sliceOf(poor, 'a'), downlinkThroughputMbps(cell, 4, 40));
  });

  it('schedules under the plan’s MCS ceiling (the twin check’s) at the planned CQI or worse, not on a better channel', () => {
    const ran = new EmulatedRan();
    ran.addCell(
      referenceCell,
      scriptedTrace([
        { durationS: 1, cqi: 7 },
        { durationS: 1, cqi: 4 },
        { durationS: 1, cqi: 13 },
      ]),
    );
    ran.enforce({
      ...intentOf([{ sliceId: 'a', sd: '000001', prbs: 50, requestedMbps: 500 }]),
      cqi: 7,
      maxMcsIndex: 5,
    });
    const planned = ran.tick(cell.cellId)!;
    assert.equal(sliceOf(planned, 'a'), downlinkThroughputMbps(cell, 7, 50, { maxMcsIndex: 5 }));
    assert.ok(sliceOf(planned, 'a') < downlinkThroughputMbps(cell, 7, 50), 'the ceiling binds at CQI 7');
    assert.equal(planned.capacityMbps, cellCapacityMbps(cell, 7, { maxMcsIndex: 5 }));
    const worse = ran.tick(cell.cellId)!;
    assert.equal(worse.capacityMbps, cellCapacityMbps(cell, 4, { maxMcsIndex: 5 }));
    const better = ran.tick(cell.cellId)!;
    assert.equal(sliceOf(better, 'a'), downlinkThroughputMbps(cell, 13, 50), 'lifted above the planned CQI');
    assert.equal(better.capacityMbps, cellCapacityMbps(cell, 13));
  });

  it('caps a slice at its A1 maxDlThptPerSlice (kbps) on the policy’s cell only; delete restores the request', () => {
    const ran = ranWithCell();
    ran.addCell({ cellId: 'cell-other' }, stepTrace());
    const intent = intentOf([
      { sliceId: 'a', sd: '000001', prbs: 40, requestedMbps: 20 },
      { sliceId: 'b', sd: '000002', prbs: 60, requestedMbps: 500 },
    ]);
    ran.enforce(intent);
    const policy = a1SliceSlaPolicy(cell, intent.slices[1]!);
    assert.equal(ran.putA1Policy('p-b', { ...policy, sliceSlaObjectives: { maxDlThptPerSlice: 12_500 } }), true);
    assert.equal(
      ran.putA1Policy('p-other', a1SliceSlaPolicy({ ...cell, cellId: 'cell-other' }, intent.slices[0]!)),
      true,
    );
    assert.deepEqual(ran.status(cell.cellId).a1PolicyIds, ['p-b']);
    const capped = ran.tick(cell.cellId)!;
    assert.equal(sliceOf(capped, 'b'), 12.5);
    assert.equal(sliceOf(capped, 'a'), 20);
    assert.equal(ran.deleteA1Policy('p-b'), true);
    assert.equal(ran.deleteA1Policy('p-b'), false);
    assert.equal(sliceOf(ran.tick(cell.cellId)!, 'b'), downlinkThroughputMbps(cell, 13, 60));
  });

  it('leaves a policy unapplied where its S-NSSAI matches several slices of the cell, and says so', () => {
    const ran = ranWithCell();
    const intent = intentOf([
      { sliceId: 'a', prbs: 40, requestedMbps: 30 },
      { sliceId: 'b', prbs: 40, requestedMbps: 30 },
    ]);
    ran.enforce(intent);
    ran.putA1Policy('p', {
      ...a1SliceSlaPolicy(cell, intent.slices[0]!),
      sliceSlaObjectives: { maxDlThptPerSlice: 1000 },
    });
    assert.deepEqual(ran.status(cell.cellId).a1Ambiguous, ['p']);
    const r = ran.tick(cell.cellId)!;
    assert.equal(sliceOf(r, 'a'), 30);
    assert.equal(sliceOf(r, 'b'), 30);
  });

  it('rejects over-allocation, malformed intents and unknown cells', () => {
    const ran = ranWithCell();
    assert.throws(
      () =>
        ran.enforce(
          intentOf([
            { sliceId: 'a', prbs: 60, requestedMbps: 10 },
            { sliceId: 'b', sd: '000002', prbs: 47, requestedMbps: 10 },
          ]),
        ),
      (err: unknown) => err instanceof RanError && err.status === 400 && /107 PRBs, the cell has 106/.test(err.message),
    );
    assert.throws(() => ran.enforce({ ...intentOf([]), cqi: 16 }), z.ZodError);
    assert.throws(
      () => ran.enforce({ ...intentOf([]), cellId: 'nope' }),
      (err: unknown) => err instanceof RanError && err.status === 404,
    );
    assert.throws(() => ran.tick('nope'), RanError);
    assert.throws(() => ran.putA1Policy('p', { scope: {} }), z.ZodError);
    assert.equal(ran.status(cell.cellId).intent, null, 'nothing was enforced');
  });

  it('powered off: nothing delivered, CQI and capacity still reported; on again: delivered again', () => {
    const ran = ranWithCell();
    ran.enforce(intentOf([{ sliceId: 'a', prbs: 100, requestedMbps: 1000 }]));
    ran.setPowered(cell.cellId, false);
    const off = ran.tick(cell.cellId)!;
    assert.equal(off.powered, false);
    assert.equal(off.deliveredMbps, 0);
    assert.deepEqual(off.slices, [{ sliceId: 'a', prbs: 100, deliveredMbps: 0 }]);
    assert.equal(off.cqi, 13);
    assert.equal(off.capacityMbps, cellCapacityMbps(cell, 13));
    ran.setPowered(cell.cellId, true);
    assert.equal(ran.tick(cell.cellId)!.deliveredMbps, downlinkThroughputMbps(cell, 13, 100));
  });

  it('reports no slices and nothing delivered before any intent', () => {
    const r = ranWithCell().tick(cell.cellId)!;
    assert.deepEqual(r.slices, []);
    assert.equal(r.deliveredMbps, 0);
  });

  it('stops at the end of the trace by default, or loops with tS still growing', () => {
    const stop = ranWithCell();
    for (let i = 0; i < 5; i++) assert.ok(stop.tick(cell.cellId));
    assert.equal(stop.ended(cell.cellId), false);
    assert.equal(stop.tick(cell.cellId)!.tS, 5);
    assert.equal(stop.ended(cell.cellId), true, 'ended right after the last sample');
    assert.equal(stop.status(cell.cellId).ended, true);
    assert.equal(stop.tick(cell.cellId), undefined);

    const loop = ranWithCell({ onTraceEnd: 'loop' });
    const reports = Array.from({ length: 8 }, () => loop.tick(cell.cellId)!);
    assert.deepEqual(
      reports.map((r) => [r.tS, r.cqi]),
      [
        [0, 13],
        [1, 13],
        [2, 13],
        [3, 4],
        [4, 4],
        [5, 4],
        [6, 13],
        [7, 13],
      ],
    );
    assert.equal(loop.ended(cell.cellId), false);
    assert.equal(loop.status(cell.cellId).trace.loops, 1);
  });

  it('refuses a second cell with the same id and an empty trace', () => {
    const ran = ranWithCell();
    assert.throws(() => ran.addCell(referenceCell, stepTrace()), /already exists/);
    assert.throws(() => ran.addCell({ cellId: 'empty' }, { samples: [], meta: stepTrace().meta }), /no samples/);
  });
});

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls, so the timing tests wait as long as a loaded machine needs rather than a fixed guess. */
async function until(condition: () => boolean, what = 'the condition', timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(2);
  }
}

describe('ran-emulator ReplayClock', () => {
  it('a step ticks every cell; sink failures are counted and logged, and the replay goes on', async () => {
    const ran = ranWithCell();
    ran.addCell({ cellId: 'cell-b' }, scriptedTrace([{ durationS: 2, cqi: 7 }]));
    const seen: string[] = [];
    const logged: string[] = [];
    const clock = new ReplayClock({
      ran,
      sink: (r) => {
        if (r.cellId === 'cell-b' && r.tS === 0) throw new Error('sink down');
        seen.push(`${r.cellId}@${r.tS}`);
      },
      log: (message) => logged.push(message),
    });
    assert.equal((await clock.step()).length, 2);
    assert.equal((await clock.step()).length, 2);
    assert.equal((await clock.step()).length, 1, 'cell-b ended after its 2 samples');
    assert.deepEqual(seen, ['cell-n78-a@0', 'cell-n78-a@1', 'cell-b@1', 'cell-n78-a@2']);
    assert.deepEqual(clock.stats, { steps: 3, reportsDelivered: 4, sinkFailures: 1, running: false, ended: false });
    assert.deepEqual(logged, ['[ran-emulator] telemetry sink failed for cell cell-b at tS=0']);
  });

  it('runs on wall time at the given speed until every trace ends', async () => {
    const ran = ranWithCell();
    const reports: TelemetryReport[] = [];
    let failures = 0;
    const startedMs = performance.now();
    const clock = new ReplayClock({
      ran,
      speed: 100,
      sink: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (r.tS === 4) throw new Error('rejected');
        reports.push(r);
      },
      log: () => failures++,
    });
    clock.start();
    clock.start(); // a second start while running is a no-op, not a second loop
    await until(() => clock.stats.ended, 'the replay to end');
    const elapsedMs = performance.now() - startedMs;
    assert.deepEqual(
      reports.map((r) => r.tS),
      [0, 1, 2, 3, 5],
    );
    assert.equal(failures, 1);
    assert.deepEqual(clock.stats, { steps: 6, reportsDelivered: 5, sinkFailures: 1, running: false, ended: true });
    assert.ok(elapsedMs >= 45, `6 steps at 10 ms took ${elapsedMs} ms`);
  });

  it('calls onEnded once, and stop() halts a looping replay', async () => {
    let ended = 0;
    const once = new ReplayClock({ ran: ranWithCell(), speed: 1000, sink: () => undefined, onEnded: () => ended++ });
    once.start();
    await until(() => once.stats.ended);
    await sleepMs(20);
    assert.equal(ended, 1);
    once.start(); // a finished replay does not start again
    assert.equal(once.stats.running, false);

    const looping = new ReplayClock({ ran: ranWithCell({ onTraceEnd: 'loop' }), speed: 1000, sink: () => undefined });
    looping.start();
    await until(() => looping.stats.steps > 8);
    looping.stop();
    const steps = looping.stats.steps;
    await sleepMs(20);
    assert.equal(looping.stats.steps, steps, 'no step after stop()');
    assert.equal(looping.stats.ended, false);
    looping.start();
    await until(() => looping.stats.steps > steps, 'start() resumes');
    looping.stop();
  });

  it('refuses a speed that is not positive', () => {
    assert.throws(() => new ReplayClock({ ran: new EmulatedRan(), sink: () => undefined, speed: 0 }), /speed/);
  });
});

describe('ran-emulator HTTP server', () => {
  let server: RanServer;
  let ran: EmulatedRan;
  const call = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(server.url + route, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
      type: res.headers.get('content-type') ?? '',
      location: res.headers.get('location'),
    };
  };
  const policyRoute = '/A1-P/v2/policytypes/ORAN_SliceSLATarget_1.0.0';
  const intent = intentOf([
    { sliceId: 'a', sd: '000001', prbs: 40, requestedMbps: 20 },
    { sliceId: 'b', sd: '000002', prbs: 60, requestedMbps: 500 },
  ]);

  before(async () => {
    ran = ranWithCell();
    server = await startRanServer({ ran, port: 0 });
  });
  after(async () => {
    await server.close();
  });

  it('GET /healthz', async () => {
    const health = await call('GET', '/healthz');
    assert.deepEqual([health.status, health.body], [200, { status: 'ok', cells: 1 }]);
  });

  it('GET /cells and /cells/:cellId (404 for an unknown cell)', async () => {
    const list = await call('GET', '/cells');
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body as unknown as { cell: { cellId: string } }[]).map((c) => c.cell.cellId),
      [cell.cellId],
    );
    ran.tick(cell.cellId);
    const one = await call('GET', `/cells/${cell.cellId}`);
    assert.equal(one.status, 200);
    assert.equal(one.body!.powered, true);
    assert.equal((one.body!.lastReport as TelemetryReport).cqi, 13);
    const missing = await call('GET', '/cells/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body!.error, 'not_found');
  });

  it('PUT /cells/:cellId/network-intent: 200, 400 with zod issues, 400 for a path mismatch or too many PRBs, 404', async () => {
    const ok = await call('PUT', `/cells/${cell.cellId}/network-intent`, intent);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body!.intent, intent);
    assert.deepEqual(ran.status(cell.cellId).intent, intent);

    const bad = await call('PUT', `/cells/${cell.cellId}/network-intent`, { ...intent, cqi: 16, prbsUsed: 'x' });
    assert.equal(bad.status, 400);
    const issues = bad.body!.issues as { path: (string | number)[] }[];
    assert.deepEqual(issues.map((i) => i.path.join('.')).sort(), ['cqi', 'prbsUsed']);

    const elsewhere = await call('PUT', `/cells/${cell.cellId}/network-intent`, { ...intent, cellId: 'other' });
    assert.equal(elsewhere.status, 400);
    const tooMany = intentOf([{ sliceId: 'a', prbs: 107, requestedMbps: 1 }]);
    assert.equal((await call('PUT', `/cells/${cell.cellId}/network-intent`, tooMany)).status, 400);
    assert.equal((await call('PUT', '/cells/nope/network-intent', { ...intent, cellId: 'nope' })).status, 404);
    assert.equal((await call('PUT', `/cells/${cell.cellId}/network-intent`, '{"cellId":')).status, 400);
    assert.deepEqual(ran.status(cell.cellId).intent, intent, 'the refused intents changed nothing');
  });

  it('PUT /cells/:cellId/power: 200, 400, 404', async () => {
    const off = await call('PUT', `/cells/${cell.cellId}/power`, { on: false });
    assert.equal(off.status, 200);
    assert.equal(off.body!.powered, false);
    assert.equal(ran.tick(cell.cellId)!.deliveredMbps, 0);
    assert.equal((await call('PUT', `/cells/${cell.cellId}/power`, { on: 'yes' })).status, 400);
    assert.equal((await call('PUT', '/cells/nope/power', { on: true })).status, 404);
    assert.equal((await call('PUT', `/cells/${cell.cellId}/power`, { on: true })).body!.powered, true);
  });

  it('A1AP v2: policy types, PUT (201 + Location, then 200), GET, status, list, DELETE (204, then 404)', async () => {
    const types = await call('GET', '/A1-P/v2/policytypes');
    assert.deepEqual([types.status, types.body], [200, ['ORAN_SliceSLATarget_1.0.0']]);
    const type = await call('GET', policyRoute);
    assert.equal(type.status, 200);
    assert.equal((type.body!.policySchema as { type: string }).type, 'object');
    assert.ok(type.body!.statusSchema, 'the status schema is served with the policy schema');

    const policy = { ...a1SliceSlaPolicy(cell, intent.slices[1]!), sliceSlaObjectives: { maxDlThptPerSlice: 7000 } };
    ran.enforce(intentOf([{ sliceId: 'x', sd: '0000ff', prbs: 10, requestedMbps: 5 }]));
    const created = await call('PUT', `${policyRoute}/policies/p-b`, policy);
    assert.equal(created.status, 201);
    assert.equal(created.location, `${policyRoute}/policies/p-b`);
    assert.deepEqual(created.body, policy);
    assert.equal((await call('PUT', `${policyRoute}/policies/p-b`, policy)).status, 200);
    assert.deepEqual((await call('GET', `${policyRoute}/policies/p-b`)).body, policy);
    assert.deepEqual((await call('GET', `${policyRoute}/policies`)).body, ['p-b']);
    // No network intent on the cell yet: the policy's slice is not there to cap.
    assert.deepEqual((await call('GET', `${policyRoute}/policies/p-b/status`)).body, {
      enforceStatus: 'NOT_ENFORCED',
      enforceReason: 'SCOPE_NOT_APPLICABLE',
    });
    ran.enforce(intent);
    assert.equal(sliceOf(ran.tick(cell.cellId)!, 'b'), 7);
    assert.deepEqual((await call('GET', `${policyRoute}/policies/p-b/status`)).body, { enforceStatus: 'ENFORCED' });

    assert.equal((await call('DELETE', `${policyRoute}/policies/p-b`)).status, 204);
    assert.equal((await call('DELETE', `${policyRoute}/policies/p-b`)).status, 404);
    assert.equal((await call('GET', `${policyRoute}/policies/p-b`)).status, 404);
    assert.equal((await call('GET', `${policyRoute}/policies/p-b/status`)).status, 404);
  });

  it('A1AP v2 errors are RFC 7807 problem details: 400 for a bad policy, 404 for an unknown type or path', async () => {
    const bad = await call('PUT', `${policyRoute}/policies/p-bad`, { scope: { sliceId: { sst: 1 } } });
    assert.equal(bad.status, 400);
    assert.match(bad.type, /^application\/problem\+json/);
    assert.equal(bad.body!.status, 400);
    assert.equal(bad.body!.instance, `${policyRoute}/policies/p-bad`);
    assert.ok((bad.body!.issues as unknown[]).length > 0);
    assert.equal((await call('GET', `${policyRoute}/policies/p-bad`)).status, 404);
    const otherType = await call('GET', '/A1-P/v2/policytypes/OTHER_1.0.0/policies/x');
    assert.equal(otherType.status, 404);
    assert.match(otherType.type, /^application\/problem\+json/);
    assert.match(String(otherType.body!.detail), /no policy type OTHER_1\.0\.0/);
    assert.equal((await call('GET', '/A1-P/v2/nothing')).status, 404);
    assert.equal((await call('PUT', `${policyRoute}/policies/p?notificationDestination=not-a-url`, {})).status, 400);
  });

  it('A1AP v2 notifications: status changes are POSTed to the policy’s notificationDestination', async () => {
    const received: unknown[] = [];
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url, body: JSON.parse(body) as unknown });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      const dest = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/notify/p-n`;
      await call(
        'PUT',
        `/cells/${cell.cellId}/network-intent`,
        intentOf([{ sliceId: 'x', sd: '0000ff', prbs: 10, requestedMbps: 5 }]),
      );
      const policy = a1SliceSlaPolicy(cell, intent.slices[0]!); // slice 'a', not in the cell's intent
      const put = await call(
        'PUT',
        `${policyRoute}/policies/p-n?notificationDestination=${encodeURIComponent(dest)}`,
        policy,
      );
      assert.equal(put.status, 201);
      await call('PUT', `/cells/${cell.cellId}/network-intent`, intent); // slice 'a' arrives: ENFORCED
      await call('PUT', `/cells/${cell.cellId}/network-intent`, intent); // unchanged: no second notice
      assert.deepEqual(received, [
        { path: '/notify/p-n', body: { enforceStatus: 'NOT_ENFORCED', enforceReason: 'SCOPE_NOT_APPLICABLE' } },
        { path: '/notify/p-n', body: { enforceStatus: 'ENFORCED' } },
      ]);
      assert.equal((await call('DELETE', `${policyRoute}/policies/p-n`)).status, 204);
    } finally {
      await new Promise((r) => sink.close(r));
    }
  });

  it('answers 404 for an unknown route', async () => {
    assert.equal((await call('GET', '/nothing-here')).status, 404);
  });

  it('the slice operator’s RAN and A1 clients enforce a planned intent and its A1 policies through the server', async () => {
    const client = createRanClient(server.url);
    const a1 = createA1Client(server.url);
    const planned = planNetworkIntent(cell, 9, [
      { sliceId: 'bo-1', sst: 1, sd: '0000a1', throughputMbps: 10 },
      { sliceId: 'bo-2', sst: 1, sd: '0000a2', throughputMbps: 25 },
    ]);
    for (const s of planned.slices) {
      const id = `${cell.cellId}.${s.sliceId}`;
      assert.equal(await a1.putPolicy('ORAN_SliceSLATarget_1.0.0', id, a1SliceSlaPolicy(cell, s)), 'created');
    }
    await client.putNetworkIntent(planned);
    await client.setPower(cell.cellId, true);
    assert.deepEqual(ran.status(cell.cellId).intent, planned);
    assert.deepEqual(ran.status(cell.cellId).a1PolicyIds, ['cell-n78-a.bo-1', 'cell-n78-a.bo-2']);
    await assert.rejects(client.setPower('nope', true), /answered 404/);
  });
});
