/**
 * The SINR a CQI report stands for. A UE reports the highest CQI whose (modulation, code rate) it
 * could receive at ≤ 10 % BLER (TS 38.214 §5.2.2.1), so a report of CQI c says the SINR lay between
 * the switching points of c and c + 1. The emulated RAN turns SINR into CQI with these points, and
 * the twin check (twin-check.ts) evaluates a plan at the lower one: the worst channel the report allows.
 */
import { cqiTable1, cqiTable2 } from './nr-tables.ts';

/**
 * Lowest SINR (dB) at which each CQI 1–15 of CQI table 1 (TS 38.214 Table 5.2.2.1-2, identical to
 * LTE's 4-bit table) is reported. These are the AWGN ~10 % BLER switching points widely used in
 * LTE link-to-system studies (e.g. Kawser et al., 2012); they are this project's own mapping, not
 * a 3GPP requirement, and a real UE's receiver does better or worse. Below the first: CQI 0.
 */
export const SINR_TO_CQI_THRESHOLDS_DB: readonly number[] = [
  -6.7, -4.7, -2.3, 0.2, 2.4, 4.3, 5.9, 8.1, 10.3, 11.7, 14.1, 16.3, 18.7, 21.0, 22.7,
];

export function sinrToCqi(sinrDb: number, thresholdsDb: readonly number[] = SINR_TO_CQI_THRESHOLDS_DB): number {
  let cqi = 0;
  for (let i = 0; i < thresholdsDb.length; i++) if (sinrDb >= thresholdsDb[i]!) cqi = i + 1;
  return cqi;
}

/**
 * The SINR (dB) at which a CQI starts to be reported, for CQI table 1 or 2. Table 1 reads the
 * switching points above. Table 2 (256QAM, Table 5.2.2.1-3) has no agreed points of its own: its
 * CQI's spectral efficiency is placed on table 1's efficiency → SINR curve, linearly between two
 * table-1 rows and, above table 1's top (5.55 b/RE), along Shannon's slope with table 1's gap at
 * its top (SINR grows by 10·log10((2^e − 1) / (2^e₁₅ − 1))). CQI 0 ("out of range") has none: null.
 */
export function cqiSinrFloorDb(cqiTable: 1 | 2, cqi: number): number | null {
  if (!Number.isInteger(cqi) || cqi < 0 || cqi > 15) throw new RangeError(`CQI must be an integer 0–15, got ${cqi}`);
  if (cqi === 0) return null;
  if (cqiTable === 1) return SINR_TO_CQI_THRESHOLDS_DB[cqi - 1]!;
  const efficiency = cqiTable2.find((row) => row.cqi === cqi)!.spectralEfficiency;
  const points = cqiTable1.map((row, i) => ({
    efficiency: row.spectralEfficiency,
    sinrDb: SINR_TO_CQI_THRESHOLDS_DB[i]!,
  }));
  const top = points.at(-1)!;
  if (efficiency >= top.efficiency) {
    return top.sinrDb + 10 * Math.log10((2 ** efficiency - 1) / (2 ** top.efficiency - 1));
  }
  const upper = points.findIndex((p) => p.efficiency >= efficiency);
  if (upper <= 0) return points[0]!.sinrDb;
  const a = points[upper - 1]!;
  const b = points[upper]!;
  return a.sinrDb + ((efficiency - a.efficiency) / (b.efficiency - a.efficiency)) * (b.sinrDb - a.sinrDb);
}
