/**
 * The twin check before enforcement (issue #17 item 4): the slice operator's link adaptation picks
 * the MCS from the CQI alone (TS 38.214 tables); the Sionna twin (system level) says what BLER that
 * MCS has on the cell's current channel. The check evaluates the CQI's MCS and the few below it at
 * the worst SINR the CQI report allows (cqi-sinr.ts) and keeps the highest one at or under the
 * 10 % BLER a CQI promises. The plan is then sized with that MCS as a ceiling (more PRBs, same
 * throughput), and the RAN schedules under it. Pure functions: the cell session calls the twin
 * between them.
 *
 * Why AWGN: a CQI is already the UE's effective post-fading SINR, so the twin is asked about the
 * link at that SINR, not about fading on top of it. Why PUSCH: the twin simulates NR PUSCH; its
 * LDPC and BLER tables are the ones the PDSCH uses too, so the BLER of an MCS at a SINR carries over.
 */
import { z } from 'zod';
import type { Orchestration, TwinResult } from '../twin/orchestration.ts';
import type { RanCell } from './contracts.ts';
import { cqiSinrFloorDb } from './cqi-sinr.ts';
import { mcsForCqi } from './slice-operator.ts';

/** The BLER a CQI report promises at its own efficiency (TS 38.214 §5.2.2.1). */
export const cqiTargetBler = 0.1;
/** MCS steps below the CQI's the check tries (each ≈ 1–2 dB more robust). */
export const twinCheckMcsSteps = 4;

// The twin's link-level choices (twin-bridge orchestration.schema.json): channel bandwidths and SCS it simulates.
const twinBandwidthsMHz = [5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100] as const;
type TwinBandwidth = (typeof twinBandwidthsMHz)[number];
const twinAntennas = [1, 2, 4] as const;

export interface TwinCheckCandidate {
  mcsIndex: number;
  orchestration: Orchestration;
}

export type TwinCheckPlan =
  | { kind: 'candidates'; cqi: number; sinrDb: number; cqiMcsIndex: number; candidates: TwinCheckCandidate[] }
  | { kind: 'skipped'; reason: string };

/**
 * The twin plans to evaluate for a cell at a CQI: the CQI's MCS and up to `twinCheckMcsSteps` below
 * it, on all the cell's PRBs (BLER depends on the MCS and the SINR; PRBs change it only through code
 * block sizes), one layer per antenna, LS estimation, LMMSE, 20 LDPC iterations, no HARQ, at the
 * CQI's SINR floor less `sinrMarginDb` (an operator's backoff for reports that age, as a gNB's
 * outer-loop link adaptation keeps one).
 */
export function twinCheckPlan(cell: RanCell, cqi: number, sinrMarginDb = 0): TwinCheckPlan {
  const mcs = mcsForCqi(cell, cqi);
  const floorDb = cqiSinrFloorDb(cell.cqiTable, cqi);
  if (mcs === null || floorDb === null) return { kind: 'skipped', reason: `CQI ${cqi}: no transmission to check` };
  const sinrDb = floorDb - sinrMarginDb;
  if (cell.subcarrierSpacingKHz === 120) return { kind: 'skipped', reason: 'the twin simulates FR1 (15–60 kHz) only' };
  if (!(twinBandwidthsMHz as readonly number[]).includes(cell.channelBandwidthMHz)) {
    return { kind: 'skipped', reason: `the twin has no ${cell.channelBandwidthMHz} MHz channel` };
  }
  const antennas = twinAntennas.find((a) => a >= cell.mimoLayers);
  if (antennas === undefined) return { kind: 'skipped', reason: `the twin simulates at most 4 layers` };
  const lowest = Math.max(0, mcs.mcsIndex - twinCheckMcsSteps);
  const candidates: TwinCheckCandidate[] = [];
  for (let mcsIndex = mcs.mcsIndex; mcsIndex >= lowest; mcsIndex--) {
    candidates.push({
      mcsIndex,
      orchestration: {
        link: {
          mcs_index: mcsIndex,
          mcs_table: cell.cqiTable,
          num_prbs: cell.prbs,
          subcarrier_spacing_khz: cell.subcarrierSpacingKHz,
          bandwidth_mhz: cell.channelBandwidthMHz as TwinBandwidth,
          num_layers: cell.mimoLayers,
          num_tx_antennas: antennas,
          num_rx_antennas: antennas,
          channel_estimator: 'ls',
          detector: 'lmmse',
          ldpc_iterations: 20,
          harq_enabled: false,
          harq_max_retransmissions: 0,
        },
        scenario: { channel_model: 'awgn', snr_db: Math.max(-10, Math.min(40, sinrDb)) },
      },
    });
  }
  return { kind: 'candidates', cqi, sinrDb, cqiMcsIndex: mcs.mcsIndex, candidates };
}

/** What the check found, kept in the enforcement record and the cell session's events. */
export const twinCheckRecordSchema = z.object({
  cqi: z.number().int(),
  /** The SINR the plan was evaluated at: the lowest the CQI report allows. */
  sinrDb: z.number(),
  /** The MCS the CQI alone would schedule, and the twin's BLER for it. */
  cqiMcsIndex: z.number().int(),
  cqiMcsBler: z.number().nullable(),
  /** The MCS the plan is held to, and its BLER; equal to the CQI's when the twin confirmed it. */
  mcsIndex: z.number().int(),
  bler: z.number().nullable(),
  /** true when no candidate reached the target BLER: the most robust one tried is used. */
  belowTarget: z.boolean(),
});
export type TwinCheckRecord = z.infer<typeof twinCheckRecordSchema>;

/**
 * The highest MCS whose twin BLER is ≤ the CQI's 10 %; when none is, the most robust candidate
 * that has a result (flagged `belowTarget`). `results[i]` answers `plan.candidates[i]` (null: the
 * twin could not evaluate that plan, e.g. an MCS without a BLER curve). Null when no candidate has a result.
 */
export function chooseCheckedMcs(
  plan: Extract<TwinCheckPlan, { kind: 'candidates' }>,
  results: readonly (Pick<TwinResult, 'bler'> | null)[],
): TwinCheckRecord | null {
  const judged = plan.candidates
    .map((c, i) => ({ mcsIndex: c.mcsIndex, bler: results[i]?.bler ?? null }))
    .filter((c): c is { mcsIndex: number; bler: number } => c.bler !== null);
  if (judged.length === 0) return null;
  const meeting = judged.find((c) => c.bler <= cqiTargetBler);
  const chosen = meeting ?? judged.at(-1)!;
  const atCqi = judged.find((c) => c.mcsIndex === plan.cqiMcsIndex);
  return {
    cqi: plan.cqi,
    sinrDb: Math.round(plan.sinrDb * 100) / 100,
    cqiMcsIndex: plan.cqiMcsIndex,
    cqiMcsBler: atCqi?.bler ?? null,
    mcsIndex: chosen.mcsIndex,
    bler: chosen.bler,
    belowTarget: meeting === undefined,
  };
}

/** The MCS ceiling a check sets: none when the twin confirmed the CQI's own MCS. */
export const mcsCeilingOf = (check: TwinCheckRecord): number | undefined =>
  check.mcsIndex < check.cqiMcsIndex ? check.mcsIndex : undefined;
