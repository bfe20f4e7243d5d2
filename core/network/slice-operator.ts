/**
 * The slice operator: turns throughput demands on one cell into what the RAN must enforce — PRBs
 * per slice for the current CQI, the TS 28.541 RRMPolicyRatio of each slice, and the same plan as
 * an O-RAN A1 slice SLA policy. Pure functions of the cell, the CQI and the demands, so workflow
 * code may call them (no I/O, no clock, no randomness).
 *
 * Chain: CQI (TS 38.214 Table 5.2.2.1-2/-3) → MCS (Table 5.1.3.1-1/-2) → TBS per slot (§5.1.3.2)
 * → bits per second over the TDD pattern (TS 38.213 §11.1) → PRBs for a throughput.
 */
import { z } from 'zod';
import { ranCellSchema, type NetworkIntent, type RanCell, type SliceDemand } from './contracts.ts';
import { linkAdaptationTables } from './nr-tables.ts';
import { transportBlockSizeBits } from './tbs.ts';
import { slotsPerSecond, symbolsPerSlot } from './tdd.ts';

/** The MAESTRO testbed's cell: n78, 40 MHz at 30 kHz (106 PRBs), one layer, 64QAM tables. */
export const referenceCell: RanCell = ranCellSchema.parse({ cellId: 'cell-n78-a' });

/** The MCS the gNB schedules for a reported CQI. */
export interface LinkAdaptation {
  cqi: number;
  mcsIndex: number;
  modulationOrder: number;
  /** R = codeRateX1024 / 1024. */
  codeRate: number;
  spectralEfficiency: number;
}

/**
 * What the gNB may schedule beyond the CQI's own choice. `maxMcsIndex`: the highest MCS the twin
 * check (twin-check.ts) found to keep BLER ≤ 10 % on the cell's current channel; absent, the CQI decides.
 */
export interface LinkLimits {
  maxMcsIndex?: number;
}

function assertCqi(cqi: number): void {
  if (!Number.isInteger(cqi) || cqi < 0 || cqi > 15) throw new RangeError(`CQI must be an integer 0–15, got ${cqi}`);
}

function assertPrbs(cell: RanCell, prbs: number): void {
  if (!Number.isInteger(prbs) || prbs < 0 || prbs > cell.prbs) {
    throw new RangeError(`PRBs must be an integer 0–${cell.prbs} for cell ${cell.cellId}, got ${prbs}`);
  }
}

/**
 * Link adaptation: the highest MCS of the table paired with `cell.cqiTable` whose spectral
 * efficiency does not exceed the CQI's. A CQI promises BLER ≤ 10 % at its own efficiency
 * (TS 38.214 §5.2.2.1), so an MCS at or below it keeps that promise. CQI 0 is "out of range":
 * no transmission (null). CQI 1 (0.1523 b/RE) lies below MCS 0 (0.2344) in both tables; it gets
 * MCS 0, the most robust the gNB can schedule, since refusing service there would be stricter
 * than any real scheduler.
 */
export function mcsForCqi(cell: RanCell, cqi: number, limits: LinkLimits = {}): LinkAdaptation | null {
  assertCqi(cqi);
  if (cqi === 0) return null;
  const tables = linkAdaptationTables[cell.cqiTable];
  const reported = tables.cqi.find((row) => row.cqi === cqi)!;
  const maxMcs = limits.maxMcsIndex ?? Number.POSITIVE_INFINITY;
  const fitting = tables.mcs.filter(
    (row) => row.spectralEfficiency <= reported.spectralEfficiency && row.mcsIndex <= maxMcs,
  );
  const mcs = fitting.at(-1) ?? tables.mcs[0]!;
  return {
    cqi,
    mcsIndex: mcs.mcsIndex,
    modulationOrder: mcs.modulationOrder,
    codeRate: mcs.codeRateX1024 / 1024,
    spectralEfficiency: mcs.spectralEfficiency,
  };
}

/**
 * Downlink throughput of `prbs` PRBs at a CQI, in Mbps: the TBS of a full downlink slot (PDSCH on
 * the 14 − pdcchSymbols symbols after the CORESET) times the full downlink slots per second, plus
 * the TBS of the special slot's downlink part (its downlink symbols − pdcchSymbols) times the
 * special slots per second. Slots per second = 1000 · 2^μ; layers = cell.mimoLayers.
 *
 * HARQ retransmissions are not subtracted. The CQI is the highest index whose BLER at the CSI
 * reference resource is ≤ 10 %, so 10 % is a bound, not an expected loss; the MCS chosen from it
 * is already at or below the CQI's efficiency; and the figure is meant to compare with the 38.306
 * "theoretical maximum", which has no BLER either. A consumer that wants goodput under a measured
 * BLER multiplies by (1 − BLER).
 */
export function downlinkThroughputMbps(cell: RanCell, cqi: number, prbs: number, limits: LinkLimits = {}): number {
  assertPrbs(cell, prbs);
  const mcs = mcsForCqi(cell, cqi, limits);
  if (mcs === null || prbs === 0) return 0;
  const slotBits = (pdschSymbols: number): number =>
    transportBlockSizeBits({
      prbs,
      pdschSymbols: Math.max(0, pdschSymbols),
      dmrsResPerPrb: cell.dmrsResPerPrb,
      overheadResPerPrb: cell.overheadResPerPrb,
      modulationOrder: mcs.modulationOrder,
      codeRate: mcs.codeRate,
      layers: cell.mimoLayers,
    });
  const { tdd } = cell;
  const specialSlots = tdd.specialSlotDownlinkSymbols > 0 ? 1 : 0;
  const bitsPerPeriod =
    slotBits(symbolsPerSlot - cell.pdcchSymbols) * tdd.downlinkSlots +
    slotBits(tdd.specialSlotDownlinkSymbols - cell.pdcchSymbols) * specialSlots;
  const periodsPerSecond = slotsPerSecond(cell.subcarrierSpacingKHz) / tdd.periodSlots;
  return (bitsPerPeriod * periodsPerSecond) / 1e6;
}

/** What the whole cell delivers at a CQI with every PRB. */
export const cellCapacityMbps = (cell: RanCell, cqi: number, limits: LinkLimits = {}): number =>
  downlinkThroughputMbps(cell, cqi, cell.prbs, limits);

export interface PrbSizing {
  prbs: number;
  expectedMbps: number;
  /** false when even every PRB of the cell falls short of the demand. */
  feasible: boolean;
}

/** The smallest PRB count whose throughput meets `throughputMbps`; all PRBs (infeasible) when none does. */
export function prbsForThroughput(
  cell: RanCell,
  cqi: number,
  throughputMbps: number,
  limits: LinkLimits = {},
): PrbSizing {
  if (!Number.isFinite(throughputMbps) || throughputMbps < 0) {
    throw new RangeError(`throughput must be a finite number ≥ 0 Mbps, got ${throughputMbps}`);
  }
  assertCqi(cqi);
  if (throughputMbps === 0) return { prbs: 0, expectedMbps: 0, feasible: true };
  const capacityMbps = cellCapacityMbps(cell, cqi, limits);
  if (capacityMbps < throughputMbps) return { prbs: cell.prbs, expectedMbps: capacityMbps, feasible: false };
  // The TBS never decreases with N_info, hence with PRBs: bisect on [1, cell.prbs].
  let low = 1;
  let high = cell.prbs;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (downlinkThroughputMbps(cell, cqi, middle, limits) >= throughputMbps) high = middle;
    else low = middle + 1;
  }
  return { prbs: low, expectedMbps: downlinkThroughputMbps(cell, cqi, low, limits), feasible: true };
}

/**
 * Shares `available` PRBs in proportion to `weights` (Hamilton's largest-remainder method): floor
 * each exact share, then give the PRBs left over, one each, to the largest remainders (ties: the
 * larger weight, then the earlier slice), so the result sums to `available` exactly.
 */
function scaleToFit(weights: readonly number[], available: number): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const exact = weights.map((w) => (w * available) / total);
  const scaled = exact.map(Math.floor);
  const leftover = available - scaled.reduce((sum, p) => sum + p, 0);
  const byRemainder = exact
    .map((x, i) => ({ i, remainder: x - scaled[i]! }))
    .sort((a, b) => b.remainder - a.remainder || weights[b.i]! - weights[a.i]! || a.i - b.i);
  for (const { i } of byRemainder.slice(0, leftover)) scaled[i]! += 1;
  return scaled;
}

/**
 * TS 28.541 RRMPolicyRatio minimum ratios: each slice's PRBs in percent of the cell, rounded up so
 * the guarantee never falls below the plan. The ratios must sum to ≤ 100 (28.541, rRMPolicyMinRatio); when
 * rounding up overshoots, the slices that gained most from rounding give back one point each
 * (they keep at least the floor of their share, i.e. lose under 1 % of the cell, ≈ 1 PRB here).
 */
function minRatiosPercent(prbs: readonly number[], cellPrbs: number): number[] {
  const exact = prbs.map((p) => (p * 100) / cellPrbs);
  const ratios = exact.map(Math.ceil);
  let excess = ratios.reduce((sum, r) => sum + r, 0) - 100;
  const byGain = exact.map((x, i) => ({ i, gain: ratios[i]! - x })).sort((a, b) => b.gain - a.gain || a.i - b.i);
  for (const { i } of byGain) {
    if (excess <= 0) break;
    ratios[i]! -= 1;
    excess -= 1;
  }
  return ratios;
}

/**
 * Plans the cell: PRBs per slice for its throughput at this CQI. When the slices need more PRBs
 * than the cell has (or one needs more than the whole cell), the cell's PRBs are shared in
 * proportion to what each slice needs and `fits` is false. Per slice, the TS 28.541 RRMPolicyRatio is:
 * - dedicated 0: PRBs a slice leaves idle stay usable by the others (dedicated PRBs would idle);
 * - min = its planned PRBs in percent of the cell, rounded up: the share the scheduler guarantees;
 * - max = the PRBs its full request needs, in percent, rounded up, ≤ 100: the slice may grow into
 *   idle PRBs up to what it asked for, never past it. When the plan fits, max = min.
 * expectedMbps is the throughput of the planned PRBs, capped at the request.
 */
export function planNetworkIntent(
  cell: RanCell,
  cqi: number,
  slices: readonly SliceDemand[],
  limits: LinkLimits = {},
): NetworkIntent {
  assertCqi(cqi);
  const seen = new Set<string>();
  for (const { sliceId } of slices) {
    if (seen.has(sliceId)) throw new Error(`slice ${sliceId} appears twice in the demands for cell ${cell.cellId}`);
    seen.add(sliceId);
  }
  const capacityMbps = cellCapacityMbps(cell, cqi, limits);
  const sizings = slices.map((s) => prbsForThroughput(cell, cqi, s.throughputMbps, limits));
  const needed = sizings.map((s) => s.prbs);
  const fits = needed.reduce((sum, p) => sum + p, 0) <= cell.prbs && sizings.every((s) => s.feasible);
  // What each slice would take of an unbounded cell: its PRBs, or, past the cell's capacity, its
  // demand in PRBs at the cell's average rate (at CQI 0, with no rate, the demand itself), so
  // slices that each exceed the cell are scaled by their demands rather than all to equal shares.
  const weights = sizings.map((sizing, i) => {
    if (sizing.feasible) return sizing.prbs;
    const demandMbps = slices[i]!.throughputMbps;
    return capacityMbps > 0 ? (cell.prbs * demandMbps) / capacityMbps : demandMbps;
  });
  const planned = fits ? needed : scaleToFit(weights, cell.prbs);
  const minRatios = minRatiosPercent(planned, cell.prbs);
  const mcs = mcsForCqi(cell, cqi, limits);
  return {
    cellId: cell.cellId,
    cqi,
    mcsIndex: mcs?.mcsIndex ?? null,
    ...(limits.maxMcsIndex === undefined ? {} : { maxMcsIndex: limits.maxMcsIndex }),
    capacityMbps,
    fits,
    prbsUsed: planned.reduce((sum, p) => sum + p, 0),
    slices: slices.map((s, i) => {
      const prbs = planned[i]!;
      const minRatio = minRatios[i]!;
      return {
        sliceId: s.sliceId,
        sst: s.sst,
        ...(s.sd === undefined ? {} : { sd: s.sd }),
        requestedMbps: s.throughputMbps,
        prbs,
        expectedMbps: Math.min(s.throughputMbps, downlinkThroughputMbps(cell, cqi, prbs, limits)),
        rrmPolicyRatio: {
          rRMPolicyDedicatedRatio: 0,
          rRMPolicyMinRatio: minRatio,
          rRMPolicyMaxRatio: Math.min(100, Math.max(minRatio, Math.ceil((needed[i]! * 100) / cell.prbs))),
        },
      };
    }),
  };
}

/** The A1 policy type the slice plan is expressed in (O-RAN.WG2.A1TD, slice SLA target). */
export const a1SliceSlaPolicyTypeId = 'ORAN_SliceSLATarget_1.0.0';

const plmnIdSchema = z.strictObject({
  mcc: z.string().regex(/^[0-9]{3}$/, 'three digits'),
  mnc: z.string().regex(/^[0-9]{2,3}$/, 'two or three digits'),
});
export type PlmnId = z.infer<typeof plmnIdSchema>;

/** NCI: 36 bits (A1TD CId.ncI; TS 38.300 §8.2 builds the NCGI from the PLMN and it). */
const maxNrCellIdentity = 2 ** 36 - 1;

const kbps = z.number().min(0);

/**
 * The policy object of ORAN_SliceSLATarget_1.0.0 as its A1TD JSON schema defines it: the scope
 * holds only the slice (S-NSSAI + PLMN); the targeted cells go in the optional sliceSlaResources
 * statement (A1TD Table 6.3.4.3-1), exactly one of cellIdList or taIList. Throughputs in kbps.
 * Only NR cells (ncI) are modelled.
 */
export const a1SliceSlaPolicySchema = z.strictObject({
  scope: z.strictObject({
    sliceId: z.strictObject({
      sst: z.number().int().min(0).max(255),
      sd: z
        .string()
        .regex(/^[0-9A-Fa-f]{6}$/)
        .optional(),
      plmnId: plmnIdSchema,
    }),
  }),
  sliceSlaObjectives: z
    .strictObject({
      maxNumberOfUes: z.number().min(0).optional(),
      maxNumberOfPduSessions: z.number().min(0).optional(),
      guaDlThptPerSlice: kbps.optional(),
      maxDlThptPerSlice: kbps.optional(),
      maxDlThptPerUe: kbps.optional(),
      guaUlThptPerSlice: kbps.optional(),
      maxUlThptPerSlice: kbps.optional(),
      maxUlThptPerUe: kbps.optional(),
    })
    .refine((o) => Object.values(o).some((v) => v !== undefined), { message: 'at least one objective' }),
  sliceSlaResources: z
    .union([
      z.strictObject({
        cellIdList: z
          .array(
            z.strictObject({
              plmnId: plmnIdSchema,
              cId: z.strictObject({ ncI: z.number().int().min(0).max(maxNrCellIdentity) }),
            }),
          )
          .min(1),
      }),
      z.strictObject({
        taIList: z.array(z.strictObject({ plmnId: plmnIdSchema, tac: z.string().regex(/^[0-9A-Fa-f]{6}$/) })).min(1),
      }),
    ])
    .optional(),
});
export type A1SliceSlaPolicy = z.infer<typeof a1SliceSlaPolicySchema>;

/**
 * A numeric NR Cell Identity for a cell known by name: FNV-1a (64-bit) of the cellId's characters,
 * kept to its low 36 bits. Deterministic and well spread, but not a real gNB-ID + cell-ID split
 * (the emulated RAN has no gNB IDs); pass the real NCI to `a1SliceSlaPolicy` where there is one.
 */
export function nrCellIdentityOf(cellId: string): number {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < cellId.length; i++) {
    hash ^= BigInt(cellId.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return Number(hash & BigInt(maxNrCellIdentity));
}

const mbpsToKbps = (mbps: number): number => Math.round(mbps * 1000);

/**
 * One slice of a plan as an A1 ORAN_SliceSLATarget_1.0.0 policy for a near-RT RIC: the guaranteed
 * downlink throughput is what the plan delivers (expectedMbps), the maximum is what the slice
 * asked for (requestedMbps) — the same bounds as the slice's RRMPolicyRatio min and max.
 */
export function a1SliceSlaPolicy(
  cell: RanCell,
  slice: NetworkIntent['slices'][number],
  plmn: PlmnId = { mcc: '001', mnc: '01' },
  ncI: number = nrCellIdentityOf(cell.cellId),
): A1SliceSlaPolicy {
  return {
    scope: { sliceId: { sst: slice.sst, ...(slice.sd === undefined ? {} : { sd: slice.sd }), plmnId: { ...plmn } } },
    sliceSlaObjectives: {
      guaDlThptPerSlice: mbpsToKbps(slice.expectedMbps),
      maxDlThptPerSlice: mbpsToKbps(slice.requestedMbps),
    },
    sliceSlaResources: { cellIdList: [{ plmnId: { ...plmn }, cId: { ncI } }] },
  };
}
