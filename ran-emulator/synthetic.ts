/**
 * Synthetic CQI traces, seeded and deterministic: a car driving past the cell site (path loss,
 * shadowing, fading → SINR → CQI) and scripted piecewise traces such as the MAESTRO paper's Fig. 5
 * scenario. Both return the CqiTrace shape of trace.ts. Constants are listed in README.md.
 */
import { SINR_TO_CQI_THRESHOLDS_DB, sinrToCqi } from '../core/network/cqi-sinr.ts';
import { createPrng } from './prng.ts';
import { clampCqi, type CqiSample, type CqiTrace, type CqiTraceMeta } from './trace.ts';

const SPEED_OF_LIGHT_MPS = 299_792_458;

/**
 * TR 38.901 Table 7.4.1-1, UMa LOS, in dB: 22 dB/decade up to the breakpoint d'BP, 40 dB/decade
 * beyond it. Effective environment height 1 m (the value for UT heights below 13 m); d2D is
 * clamped to the model's 10 m lower validity bound.
 */
export function umaLosPathLossDb(d2DM: number, carrierGHz: number, bsHeightM: number, utHeightM: number): number {
  const d2D = Math.max(10, d2DM);
  const d3D = Math.hypot(d2D, bsHeightM - utHeightM);
  const breakpointM = (4 * (bsHeightM - 1) * (utHeightM - 1) * carrierGHz * 1e9) / SPEED_OF_LIGHT_MPS;
  const fcTerm = 20 * Math.log10(carrierGHz);
  if (d2D <= breakpointM) return 28.0 + 22 * Math.log10(d3D) + fcTerm;
  return 28.0 + 40 * Math.log10(d3D) + fcTerm - 9 * Math.log10(breakpointM ** 2 + (bsHeightM - utHeightM) ** 2);
}

export interface DriveByOptions {
  seed: number;
  /** Grid step, seconds (default 1: one CSI report per second, like the dataset). */
  stepS?: number;
  /** Default 10 m/s (36 km/h, urban driving). */
  speedMps?: number;
  /** Road coordinate of the start and end of the drive; the serving site is abeam x = 0. Default −300 … 300 m. */
  roadStartM?: number;
  roadEndM?: number;
  /** Perpendicular distance from the road to the sites (default 50 m). */
  closestApproachM?: number;
  /** Default 3.5 GHz (n78). */
  carrierGHz?: number;
  /** Default 25 m and 1.5 m (TR 38.901 UMa). */
  bsHeightM?: number;
  utHeightM?: number;
  /** Conducted power over the whole carrier (default 46 dBm) plus the BS antenna gain (default 8 dBi). */
  txPowerDbm?: number;
  antennaGainDbi?: number;
  /** Default 40 MHz, the testbed's cell. */
  bandwidthMHz?: number;
  /** UE noise figure (default 9 dB). */
  noiseFigureDb?: number;
  /** Two co-channel neighbour sites on the same road at ±ISD (default 500 m, UMa). */
  interSiteDistanceM?: number;
  /** Fraction of the time the neighbours transmit on the UE's PRBs (default 0.5). */
  neighbourLoad?: number;
  /** Log-normal shadowing of the serving link (default σ 4 dB, decorrelation 37 m: UMa LOS, TR 38.901 Table 7.5-6). */
  shadowSigmaDb?: number;
  shadowDecorrelationM?: number;
  /** Rician K-factor of the per-report fading (default 9 dB, UMa LOS mean). */
  ricianKDb?: number;
  sinrToCqiThresholdsDb?: readonly number[];
}

export interface DriveBySample extends CqiSample {
  /** Ground distance from the UE to the serving site, metres. */
  distanceM: number;
  sinrDb: number;
}

const dbToLinear = (db: number): number => 10 ** (db / 10);
const linearToDb = (x: number): number => 10 * Math.log10(x);

/**
 * A UE in a car driving along a straight road past the serving site, between two interfering
 * neighbour sites. SINR = S / (N + load · (I₋ + I₊)); the serving link adds AR(1) shadowing
 * (Gudmundson: ρ = exp(−Δd / d_cor) per step) and one Rician power sample per report. Neighbour
 * links use the mean path loss only: the trace is about the serving cell's CQI, not theirs.
 */
export function driveByTrace(opts: DriveByOptions): CqiTrace<DriveBySample> {
  const p = {
    stepS: 1,
    speedMps: 10,
    roadStartM: -300,
    roadEndM: 300,
    closestApproachM: 50,
    carrierGHz: 3.5,
    bsHeightM: 25,
    utHeightM: 1.5,
    txPowerDbm: 46,
    antennaGainDbi: 8,
    bandwidthMHz: 40,
    noiseFigureDb: 9,
    interSiteDistanceM: 500,
    neighbourLoad: 0.5,
    shadowSigmaDb: 4,
    shadowDecorrelationM: 37,
    ricianKDb: 9,
    sinrToCqiThresholdsDb: SINR_TO_CQI_THRESHOLDS_DB,
    ...withoutUndefined(opts),
  };
  if (!(p.stepS > 0) || !(p.speedMps > 0) || !(p.roadEndM > p.roadStartM)) {
    throw new Error('driveByTrace: stepS and speedMps must be positive and roadEndM > roadStartM');
  }
  const rand = createPrng(opts.seed);
  const noiseDbm = -174 + linearToDb(p.bandwidthMHz * 1e6) + p.noiseFigureDb;
  const eirpDbm = p.txPowerDbm + p.antennaGainDbi;
  const rxDbm = (siteX: number, x: number): number =>
    eirpDbm - umaLosPathLossDb(Math.hypot(x - siteX, p.closestApproachM), p.carrierGHz, p.bsHeightM, p.utHeightM);
  const rho = Math.exp(-(p.speedMps * p.stepS) / p.shadowDecorrelationM);
  const k = dbToLinear(p.ricianKDb);
  const los = Math.sqrt(k / (k + 1));
  const scatter = Math.sqrt(1 / (k + 1) / 2);

  const count = Math.floor((p.roadEndM - p.roadStartM) / p.speedMps / p.stepS + 1e-9) + 1;
  const samples: DriveBySample[] = [];
  let shadowDb = p.shadowSigmaDb * rand.normal();
  for (let i = 0; i < count; i++) {
    const tS = i * p.stepS;
    const x = p.roadStartM + p.speedMps * tS;
    if (i > 0) shadowDb = rho * shadowDb + p.shadowSigmaDb * Math.sqrt(1 - rho * rho) * rand.normal();
    // |h|² of h = LOS + CN(0, 1/(K+1)): mean 1, so fading adds no bias to the path loss.
    const fadingGain = (los + scatter * rand.normal()) ** 2 + (scatter * rand.normal()) ** 2;
    const signalMw = dbToLinear(rxDbm(0, x) + shadowDb) * fadingGain;
    const interferenceMw =
      p.neighbourLoad * (dbToLinear(rxDbm(-p.interSiteDistanceM, x)) + dbToLinear(rxDbm(p.interSiteDistanceM, x)));
    const sinrDb = linearToDb(signalMw / (dbToLinear(noiseDbm) + interferenceMw));
    samples.push({
      tS,
      cqi: sinrToCqi(sinrDb, p.sinrToCqiThresholdsDb),
      distanceM: Math.hypot(x, p.closestApproachM),
      sinrDb,
    });
  }
  return {
    samples,
    meta: syntheticMeta(
      `synthetic drive-by (seed ${opts.seed}, ${p.speedMps} m/s, ${p.roadStartM}…${p.roadEndM} m)`,
      samples.length,
      p.stepS,
    ),
  };
}

export interface ScriptedSegment {
  durationS: number;
  /** The segment's mean CQI. */
  cqi: number;
  /** Standard deviation of Gaussian noise on the CQI, in CQI steps (overrides the trace's). */
  noiseStd?: number;
}

export interface ScriptedOptions {
  stepS?: number;
  /** Default 0: a clean staircase. */
  noiseStd?: number;
  /** Only needed with noise (default 1). */
  seed?: number;
}

/**
 * The scenario of the MAESTRO paper's Fig. 5: good channel for 200 s, worse 200–300 s, very poor
 * 300–400 s, recovered after 400 s. The CQI levels are this project's choice (the figure gives
 * throughput, not CQI), picked so the reference cell's capacity follows the figure's story:
 * ≈ 109 Mbps (CQI 13, "high CQI with 100 Mbps"), then ≈ 35 Mbps (CQI 7: below a ~50 Mbps
 * consensus, so it is renegotiated), then ≈ 9 Mbps (CQI 3: too poor to be worth running), then
 * back to ≈ 109 Mbps.
 */
export const MAESTRO_FIG5_SEGMENTS: readonly ScriptedSegment[] = [
  { durationS: 200, cqi: 13 },
  { durationS: 100, cqi: 7 },
  { durationS: 100, cqi: 3 },
  { durationS: 200, cqi: 13 },
];

/** A piecewise-constant CQI trace, optionally with Gaussian noise (rounded, clamped to 0–15). */
export function scriptedTrace(segments: readonly ScriptedSegment[], opts: ScriptedOptions = {}): CqiTrace {
  const stepS = opts.stepS ?? 1;
  if (!(stepS > 0)) throw new Error(`scriptedTrace: stepS must be positive, got ${stepS}`);
  if (segments.length === 0) throw new Error('scriptedTrace: no segments');
  for (const s of segments) {
    if (!(s.durationS > 0)) throw new Error(`scriptedTrace: segment durations must be positive, got ${s.durationS}`);
  }
  const rand = createPrng(opts.seed ?? 1);
  const samples: CqiSample[] = [];
  let segmentStartS = 0;
  for (const s of segments) {
    const endS = segmentStartS + s.durationS;
    const noiseStd = s.noiseStd ?? opts.noiseStd ?? 0;
    // Integer grid index, so segment boundaries land on the same samples whatever the float error.
    for (let k = Math.ceil(segmentStartS / stepS - 1e-9); k * stepS < endS - 1e-9; k++) {
      const noise = noiseStd > 0 ? noiseStd * rand.normal() : 0;
      samples.push({ tS: k * stepS, cqi: clampCqi(s.cqi + noise) });
    }
    segmentStartS = endS;
  }
  return {
    samples,
    meta: syntheticMeta(`scripted (${segments.length} segments)`, samples.length, stepS),
  };
}

function syntheticMeta(source: string, count: number, stepS: number): CqiTraceMeta {
  return {
    source,
    rowsRead: count,
    duplicatesDropped: 0,
    invalidRowsDropped: 0,
    rowsFilteredOut: 0,
    filledValues: 0,
    durationS: count * stepS,
    stepS,
    networkModes: { synthetic: count },
  };
}

/** Options spread over defaults must not overwrite them with explicit undefineds. */
function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
