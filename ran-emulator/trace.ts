/**
 * CQI traces for the emulated RAN: a regular grid of wideband CQI values the cell's UEs report.
 * Real traces come from the 5G drive dataset of Raca et al. (University College Cork, MMSys 2020,
 * GPL-3.0; read from /work/shared/data/cqi-ucc5g, never copied into the repository). Synthetic
 * traces (synthetic.ts) return the same shape, so the RAN plays either.
 */
import { readFileSync } from 'node:fs';

export interface CqiSample {
  /** Seconds since the first sample of the trace. */
  tS: number;
  /** Wideband CQI, an integer 0–15 (0: out of range). */
  cqi: number;
}

export interface CqiTraceMeta {
  /** Where the trace came from: a file path, or a description of the generator and its seed. */
  source: string;
  /** Data rows read (the header and blank lines are not rows); for synthetic traces, samples generated. */
  rowsRead: number;
  /** Rows dropped because their timestamp equals the previous row's (the logger's 0 s repeats). */
  duplicatesDropped: number;
  /** Rows dropped because their timestamp is unparsable or earlier than the previous kept row's. */
  invalidRowsDropped: number;
  /** Rows dropped by the networkModes filter. */
  rowsFilteredOut: number;
  /** Kept rows whose CQI was missing ('-') or unparsable and was filled from a neighbouring sample. */
  filledValues: number;
  /** Seconds the trace plays for: samples × stepS (each sample holds for one step). */
  durationS: number;
  /** The grid step, in seconds. */
  stepS: number;
  /** Kept rows per NetworkMode (after de-duplication and the filter). */
  networkModes: Record<string, number>;
}

export interface CqiTrace<S extends CqiSample = CqiSample> {
  samples: S[];
  meta: CqiTraceMeta;
}

export interface Ucc5gOptions {
  /** Shown in meta.source and error messages; loadUcc5gTrace sets the file path. */
  source?: string;
  /** Grid step of the resampled trace, in seconds (default 1, the dataset's logging period). */
  stepS?: number;
  /** Keep only grid samples with tS < maxDurationS. */
  maxDurationS?: number;
  /**
   * Keep only rows of these NetworkModes ('5G', 'LTE', 'HSPA+', …). Default: all rows. The phone
   * logs its CQI whatever the serving RAT, and dropping the non-5G rows would cut holes into the
   * time line; rows without a CQI (HSPA+ and UMTS log '-') are forward-filled instead.
   */
  networkModes?: string[];
}

const TIMESTAMP = /^(\d{4})\.(\d{2})\.(\d{2})_(\d{2})\.(\d{2})\.(\d{2})$/;

/** Seconds of a `2019.12.14_10.16.30` timestamp. UTC on purpose: only differences matter, and local time has DST jumps. */
export function parseUcc5gTimestampS(text: string): number | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

/** An integer CQI 0–15, or undefined for '-', empty or unparsable cells. */
function parseCqi(text: string | undefined): number | undefined {
  const t = text?.trim() ?? '';
  if (t === '' || t === '-') return undefined;
  const x = Number(t);
  if (!Number.isFinite(x)) return undefined;
  return clampCqi(x);
}

export function clampCqi(x: number): number {
  return Math.min(15, Math.max(0, Math.round(x)));
}

interface Row {
  tS: number;
  cqi: number | undefined;
  mode: string;
}

/**
 * Parses one CSV file of the UCC 5G dataset into a CQI trace. Rules, in order: rows repeating the
 * previous row's timestamp are dropped (keep the first); rows with a bad or backward timestamp are
 * dropped; the networkModes filter applies; missing CQIs are forward-filled (leading gaps take the
 * first valid value); the rows are resampled onto a regular grid by sample-and-hold; CQI is
 * clamped to integers 0–15.
 */
export function parseUcc5gCsv(text: string, opts: Ucc5gOptions = {}): CqiTrace {
  const source = opts.source ?? 'inline CSV';
  const stepS = opts.stepS ?? 1;
  if (!(stepS > 0)) throw new Error(`${source}: stepS must be positive, got ${stepS}`);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.split(',').map((h) => h.trim());
  if (!header) throw new Error(`${source}: empty file`);
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${source}: no ${name} column in the header`);
    return i;
  };
  const tsCol = col('Timestamp');
  const cqiCol = col('CQI');
  const modeCol = col('NetworkMode');
  const modeFilter = opts.networkModes ? new Set(opts.networkModes) : undefined;

  let duplicatesDropped = 0;
  let invalidRowsDropped = 0;
  let rowsFilteredOut = 0;
  let previousStamp: string | undefined;
  let t0: number | undefined;
  let lastKeptS = -Infinity;
  const rows: Row[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const stamp = cells[tsCol]?.trim() ?? '';
    // The logger repeats a row within the same second (0 s step); the first one is the sample.
    if (stamp === previousStamp) {
      duplicatesDropped++;
      continue;
    }
    previousStamp = stamp;
    const absS = parseUcc5gTimestampS(stamp);
    if (absS === undefined || absS <= lastKeptS) {
      invalidRowsDropped++;
      continue;
    }
    const mode = cells[modeCol]?.trim() || '-';
    if (modeFilter && !modeFilter.has(mode)) {
      rowsFilteredOut++;
      continue;
    }
    lastKeptS = absS;
    t0 ??= absS;
    rows.push({ tS: absS - t0, cqi: parseCqi(cells[cqiCol]), mode });
  }
  const rowsRead = lines.length - 1;

  const firstValid = rows.find((r) => r.cqi !== undefined)?.cqi;
  if (firstValid === undefined) {
    throw new Error(`${source}: no usable CQI value in ${rowsRead} rows (${rows.length} kept after the rules)`);
  }
  let filledValues = 0;
  let carry = firstValid;
  const networkModes: Record<string, number> = {};
  const filled: CqiSample[] = rows.map((r) => {
    networkModes[r.mode] = (networkModes[r.mode] ?? 0) + 1;
    if (r.cqi === undefined) filledValues++;
    else carry = r.cqi;
    return { tS: r.tS, cqi: carry };
  });

  const samples = resampleHold(filled, stepS, opts.maxDurationS);
  return {
    samples,
    meta: {
      source,
      rowsRead,
      duplicatesDropped,
      invalidRowsDropped,
      rowsFilteredOut,
      filledValues,
      durationS: samples.length * stepS,
      stepS,
      networkModes,
    },
  };
}

/** Reads and parses a dataset file; errors name the file. */
export function loadUcc5gTrace(file: string, opts: Omit<Ucc5gOptions, 'source'> = {}): CqiTrace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the CQI trace: ${(err as Error).message}`, { cause: err });
  }
  return parseUcc5gCsv(text, { ...opts, source: file });
}

/**
 * Sample-and-hold onto t = 0, stepS, 2·stepS, … up to the last sample's time: each grid point
 * takes the latest sample at or before it, which is what a RAN reporting periodically would show
 * while the UE sends no new CSI report. `samples` must be sorted by tS and start at 0.
 */
export function resampleHold(samples: readonly CqiSample[], stepS: number, maxDurationS?: number): CqiSample[] {
  const out: CqiSample[] = [];
  const last = samples.at(-1);
  if (!last) return out;
  const endS = maxDurationS === undefined ? Infinity : maxDurationS;
  let j = 0;
  // Integer grid index, so the grid does not drift by accumulated floating-point error.
  for (let k = 0; ; k++) {
    const tS = k * stepS;
    if (tS > last.tS + 1e-9 || tS >= endS - 1e-9) break;
    while (j + 1 < samples.length && samples[j + 1]!.tS <= tS + 1e-9) j++;
    out.push({ tS, cqi: clampCqi(samples[j]!.cqi) });
  }
  return out;
}
