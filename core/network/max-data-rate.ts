/**
 * TS 38.306 §4.1.2: the approximate maximum data rate of NR, the figure the spec uses for a UE's
 * peak rate and the one papers quote as a cell's "theoretical maximum". The markdown of 38.306
 * lost the equation; it is restated in STACK-NOTES ("Facts the spec markdown lost").
 */
import type { RanCell } from './contracts.ts';
import { downlinkSymbolShare, numerologyOfScs, symbolsPerSlot } from './tdd.ts';

/** R_max of §4.1.2: the highest LDPC code rate, 948/1024. */
export const maxCodeRate = 948 / 1024;

/** OH^(j) of §4.1.2: the overhead fraction by frequency range and direction. */
export const maxDataRateOverhead = {
  FR1: { DL: 0.14, UL: 0.08 },
  FR2: { DL: 0.18, UL: 0.1 },
} as const;

/** FR2 bands are numbered n257 and up (TS 38.101-2); everything below is FR1 (TS 38.101-1). */
export const frequencyRangeOf = (band: string): 'FR1' | 'FR2' => (Number(band.slice(1)) >= 257 ? 'FR2' : 'FR1');

/**
 * §4.1.2 for one carrier, in Mbps:
 * 10⁻⁶ · v_Layers · Q_m · f · R_max · (N_PRB · 12 / T_s^μ) · (1 − OH), with T_s^μ = 10⁻³ / (14 · 2^μ) s.
 */
export function maxDataRateMbps(p: {
  layers: number;
  qm: number;
  scalingFactor: number;
  rMax: number;
  nPrb: number;
  numerology: number;
  overhead: number;
}): number {
  const symbolDurationS = 1e-3 / (symbolsPerSlot * 2 ** p.numerology);
  return 1e-6 * p.layers * p.qm * p.scalingFactor * p.rMax * ((p.nPrb * 12) / symbolDurationS) * (1 - p.overhead);
}

/**
 * §4.1.2 for a cell's downlink, times the downlink share of its TDD pattern. The formula itself has
 * no TDD term (it is per direction, as if the carrier were FDD); scaling by the share of downlink
 * symbols is the usual approximation, the same the regulatory unit applies as `directionFraction`.
 * Q_m is the highest of the cell's tables (6 for 64QAM, 8 for 256QAM), f = 1.
 */
export function cellDownlinkMaxDataRateMbps(cell: RanCell): number {
  const fdd = maxDataRateMbps({
    layers: cell.mimoLayers,
    qm: cell.cqiTable === 1 ? 6 : 8,
    scalingFactor: 1,
    rMax: maxCodeRate,
    nPrb: cell.prbs,
    numerology: numerologyOfScs(cell.subcarrierSpacingKHz),
    overhead: maxDataRateOverhead[frequencyRangeOf(cell.band)].DL,
  });
  return fdd * downlinkSymbolShare(cell.tdd);
}
