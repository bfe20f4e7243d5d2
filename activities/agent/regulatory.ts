/**
 * Regulatory unit (paper Section III, unit 3): grounds a throughput topic in the rules of the
 * cell it is about. It retrieves passages from the regulatory index and reads the facts it needs
 * out of their tables — the band's allowed channel bandwidths (TS 38.101-1 Table 5.3.5-1), N_RB
 * (Table 5.3.2-1), the constants of the TS 38.306 §4.1.2 maximum data rate, and the shared-cell
 * operating rule SH-1 — then computes the cell's maximum rate and caps the topic with it. Every
 * number carries the passage it was read from. A fact the index does not return is reported as
 * missing, and no cap is invented in its place.
 */
import type { CellConfig, Topic } from '../../core/negotiation/schemas.ts';
import type { Citation, ContextContribution, UnitWarning } from '../../core/negotiation/types.ts';
import { frequencyRangeOf, maxDataRateMbps } from '../../core/network/max-data-rate.ts';
import { numerologyOfScs } from '../../core/network/tdd.ts';
import { parseTableChunk, type ParsedTable } from '../../core/regulatory/markdown-chunks.ts';
import type { RetrievedPassage } from '../../core/regulatory/vector-index.ts';
import type { ContextUnit, ContextUnitInput } from './context-units.ts';
import { round2 } from './validation.ts';

/** The 38.306 formula lives with the network plane; re-exported for this unit's callers. */
export { maxDataRateMbps };

export interface PassageRetriever {
  query(question: string, k: number): Promise<RetrievedPassage[]>;
}

/** What the unit concluded about a cell; cached per cell, since the corpus does not change mid-negotiation. */
export interface CellRegulation {
  maxDataRateMbps: number | null;
  operatingCapMbps: number | null;
  nPrb: number | null;
  allowedBandwidthsMHz: number[] | null;
  citations: Citation[];
  problems: { code: UnitWarning['code']; message: string }[];
}

const RETRIEVE_K = 8;
const cellKey = (c: CellConfig): string => JSON.stringify(c);
const norm = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

/** "948/1024 = 0.92578125" → 0.92578125; "0.14" → 0.14; "1, 0.8, 0.75, 0.4" → 1. */
export function parseFactNumber(cell: string): number | null {
  const afterEquals = cell.includes('=') ? cell.slice(cell.lastIndexOf('=') + 1) : cell;
  const fraction = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(afterEquals);
  if (fraction) return Number(fraction[1]) / Number(fraction[2]);
  const m = /-?\d+(?:\.\d+)?/.exec(afterEquals);
  return m ? Number(m[0]) : null;
}

const numbersIn = (cell: string): number[] => (cell.match(/\d+(?:\.\d+)?/g) ?? []).map(Number);

function tablesOf(passages: RetrievedPassage[]): { table: ParsedTable; passage: RetrievedPassage }[] {
  return passages.flatMap((passage) => {
    const table = parseTableChunk({ text: passage.text, table: passage.chunk.table });
    return table ? [{ table, passage }] : [];
  });
}

const column = (header: string[], test: (h: string) => boolean): number => header.findIndex((h) => test(norm(h)));

/** N_RB from a long table (SCS | bandwidth | N_RB) or the spec's wide one (SCS rows × "40 MHz" columns). */
export function findNrb(
  passages: RetrievedPassage[],
  scsKHz: number,
  bandwidthMHz: number,
): { value: number; passage: RetrievedPassage } | null {
  for (const { table, passage } of tablesOf(passages)) {
    const scsCol = column(table.header, (h) => h.includes('scs') || h.includes('subcarrier'));
    if (scsCol < 0) continue;
    const nrbCol = column(table.header, (h) => /n_?rb/.test(h));
    const bwCol = column(table.header, (h) => h.includes('bandwidth'));
    if (nrbCol >= 0 && bwCol >= 0) {
      for (const row of table.rows) {
        if (Number(row[scsCol]) === scsKHz && Number(row[bwCol]) === bandwidthMHz) {
          const value = Number(row[nrbCol]);
          if (Number.isInteger(value) && value > 0) return { value, passage };
        }
      }
      continue;
    }
    const wideCol = table.header.findIndex((h) => new RegExp(`^${bandwidthMHz}\\s*MHz$`, 'i').test(h.trim()));
    if (wideCol < 0) continue;
    for (const row of table.rows) {
      if (Number(row[scsCol]) === scsKHz) {
        const value = Number(row[wideCol]);
        if (Number.isInteger(value) && value > 0) return { value, passage };
      }
    }
  }
  return null;
}

/** The channel bandwidths a band allows at an SCS (project table: Band | SCS (kHz) | Channel bandwidths (MHz)). */
export function findBandBandwidths(
  passages: RetrievedPassage[],
  band: string,
  scsKHz: number,
): { value: number[]; passage: RetrievedPassage } | null {
  for (const { table, passage } of tablesOf(passages)) {
    const bandCol = column(table.header, (h) => h === 'band' || h.startsWith('nr band') || h === 'operating band');
    const scsCol = column(table.header, (h) => h.includes('scs'));
    // "Channel bandwidths (MHz)": the list column, not a footnote table's single bandwidth.
    const bwCol = column(table.header, (h) => h.includes('bandwidths'));
    if (bandCol < 0 || scsCol < 0 || bwCol < 0) continue;
    for (const row of table.rows) {
      if (norm(row[bandCol] ?? '') === band.toLowerCase() && Number(row[scsCol]) === scsKHz) {
        return { value: numbersIn(row[bwCol] ?? ''), passage };
      }
    }
  }
  return null;
}

/** Symbol → value from parameter tables (… | Symbol | Value | …) or rule tables (… | Parameter | Value). */
export function findKeyedValues(
  passages: RetrievedPassage[],
  keyHeader: 'symbol' | 'parameter',
): Map<string, { value: number; passage: RetrievedPassage }> {
  const found = new Map<string, { value: number; passage: RetrievedPassage }>();
  for (const { table, passage } of tablesOf(passages)) {
    const keyCol = column(table.header, (h) => h === keyHeader);
    const valueCol = column(table.header, (h) => h === 'value');
    if (keyCol < 0 || valueCol < 0) continue;
    for (const row of table.rows) {
      const key = (row[keyCol] ?? '').replace(/`/g, '').trim();
      const value = parseFactNumber(row[valueCol] ?? '');
      if (key && value !== null && !found.has(key)) found.set(key, { value, passage });
    }
  }
  return found;
}

export async function regulateCell(retriever: PassageRetriever, cell: CellConfig): Promise<CellRegulation> {
  const citations: Citation[] = [];
  const problems: CellRegulation['problems'] = [];
  const cite = (claim: string, passage: RetrievedPassage): void => {
    citations.push({ claim, source: passage.source, score: round2(passage.score) });
  };
  const scs = cell.subcarrierSpacingKHz;
  const bw = cell.channelBandwidthMHz;
  const fr = frequencyRangeOf(cell.band);

  const [bandPassages, nrbPassages, ratePassages, rulePassages] = await Promise.all([
    retriever.query(
      `Which channel bandwidths may NR band ${cell.band} use at ${scs} kHz subcarrier spacing?`,
      RETRIEVE_K,
    ),
    retriever.query(
      `Maximum transmission bandwidth configuration N_RB: resource blocks of a ${bw} MHz channel at ${scs} kHz SCS`,
      RETRIEVE_K,
    ),
    retriever.query(
      `TS 38.306 maximum data rate parameters: R_max, overhead OH for ${fr} ${cell.direction}, modulation order Qm for ${cell.modulation}`,
      RETRIEVE_K,
    ),
    retriever.query(
      'Shared-cell operating rule: operating throughput limited to the maximum data rate times maxUtilisation',
      RETRIEVE_K,
    ),
  ]);

  const bandwidths = findBandBandwidths(bandPassages, cell.band, scs);
  if (bandwidths === null) {
    problems.push({
      code: 'regulatory_fact_missing',
      message: `no passage lists the channel bandwidths of ${cell.band} at ${scs} kHz`,
    });
  } else {
    cite(`${cell.band} at ${scs} kHz allows ${bandwidths.value.join(', ')} MHz`, bandwidths.passage);
    if (!bandwidths.value.includes(bw)) {
      problems.push({
        code: 'regulatory_violation',
        message: `${bw} MHz is not a channel bandwidth of ${cell.band} at ${scs} kHz (allowed: ${bandwidths.value.join(', ')} MHz)`,
      });
    }
  }

  const nrb = findNrb(nrbPassages, scs, bw);
  if (nrb === null)
    problems.push({ code: 'regulatory_fact_missing', message: `no passage gives N_RB for ${bw} MHz at ${scs} kHz` });
  else cite(`N_RB = ${nrb.value} for ${bw} MHz at ${scs} kHz`, nrb.passage);

  const constants = findKeyedValues(ratePassages, 'symbol');
  const needed = { rMax: 'R_max', overhead: `OH_${fr}_${cell.direction}`, qm: `Qm_${cell.modulation}` } as const;
  const values: Partial<Record<keyof typeof needed, number>> = {};
  for (const [name, symbol] of Object.entries(needed) as [keyof typeof needed, string][]) {
    const fact = constants.get(symbol);
    if (fact === undefined) problems.push({ code: 'regulatory_fact_missing', message: `no passage gives ${symbol}` });
    else {
      values[name] = fact.value;
      cite(`${symbol} = ${fact.value}`, fact.passage);
    }
  }

  let maxRate: number | null = null;
  if (nrb !== null && values.rMax !== undefined && values.overhead !== undefined && values.qm !== undefined) {
    maxRate =
      maxDataRateMbps({
        layers: cell.mimoLayers,
        qm: values.qm,
        scalingFactor: cell.scalingFactor,
        rMax: values.rMax,
        nPrb: nrb.value,
        numerology: numerologyOfScs(scs),
        overhead: values.overhead,
      }) * cell.directionFraction;
  }

  const rules = findKeyedValues(rulePassages, 'parameter');
  const utilisation = rules.get('maxUtilisation');
  let cap: number | null = null;
  if (utilisation === undefined)
    problems.push({ code: 'regulatory_fact_missing', message: 'no passage gives rule SH-1 (maxUtilisation)' });
  else if (maxRate !== null) {
    cap = maxRate * utilisation.value;
    cite(`operating throughput ≤ ${utilisation.value} × maximum data rate (rule SH-1)`, utilisation.passage);
  }
  return {
    maxDataRateMbps: maxRate === null ? null : round2(maxRate),
    operatingCapMbps: cap === null ? null : round2(cap),
    nPrb: nrb?.value ?? null,
    allowedBandwidthsMHz: bandwidths?.value ?? null,
    citations,
    problems,
  };
}

function describe(cell: CellConfig, r: CellRegulation): string[] {
  const what = `${cell.band} ${cell.channelBandwidthMHz} MHz at ${cell.subcarrierSpacingKHz} kHz, ${cell.mimoLayers} layer(s) ${cell.modulation}`;
  if (r.maxDataRateMbps === null)
    return [`cell ${what}: maximum rate unknown (${r.problems.map((p) => p.message).join('; ')})`];
  const notes = [
    `cell ${what}: N_RB ${r.nPrb}, maximum ${cell.direction} rate ${r.maxDataRateMbps} Mbps (TS 38.306 §4.1.2).`,
  ];
  if (r.operatingCapMbps !== null) notes.push(`Rule SH-1: the shared cell may run at most ${r.operatingCapMbps} Mbps.`);
  return notes;
}

export function createRegulatoryUnit(retriever: PassageRetriever): ContextUnit {
  const cache = new Map<string, Promise<CellRegulation>>();
  return {
    name: 'regulatory',
    async contribute(input: ContextUnitInput): Promise<ContextContribution> {
      const cell = input.topic.cell;
      if (cell === undefined) return { unit: 'regulatory', notes: [], warnings: [] };
      const agent = input.party?.id ?? 'maestro';
      let pending = cache.get(cellKey(cell));
      if (pending === undefined) {
        pending = regulateCell(retriever, cell);
        cache.set(cellKey(cell), pending);
        // A failed retrieval (endpoint down) must not stick: the activity's retry asks again.
        pending.catch(() => cache.delete(cellKey(cell)));
      }
      let regulation: CellRegulation;
      try {
        regulation = await pending;
      } catch (err) {
        // Without the index the unit cannot ground the topic: say so, invent no limit.
        const message = `regulatory index unavailable: ${err instanceof Error ? err.message : String(err)}`;
        return {
          unit: 'regulatory',
          notes: [],
          warnings: [{ agent, unit: 'regulatory', code: 'regulatory_fact_missing', message }],
        };
      }
      const warnings: UnitWarning[] = regulation.problems.map((p) => ({
        agent,
        unit: 'regulatory',
        code: p.code,
        message: p.message,
      }));
      return {
        unit: 'regulatory',
        notes: describe(cell, regulation),
        ...(regulation.operatingCapMbps !== null && isMbps(input.topic)
          ? { bounds: { max: regulation.operatingCapMbps } }
          : {}),
        warnings,
        citations: regulation.citations,
      };
    },
  };
}

const isMbps = (topic: Topic): boolean => norm(topic.unit) === 'mbps';
