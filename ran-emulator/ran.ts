/**
 * The emulated RAN: the network plane's stand-in for OAI gNBs controlled through FlexRIC. Each
 * cell replays a CQI trace one sample per tick; the slice operator's network intent fixes the
 * PRBs of each slice and the A1 SLA policies cap their throughput. Traffic is full-buffer up to
 * the SLA: every slice always has data, so it gets min(what its PRBs carry at this CQI, its cap).
 * No per-TTI scheduler, HARQ or UE mobility is modelled (README.md).
 */
import {
  networkIntentSchema,
  ranCellSchema,
  type NetworkIntent,
  type RanCell,
  type RanCellInput,
  type TelemetryReport,
} from '../core/network/contracts.ts';
import { cellCapacityMbps, downlinkThroughputMbps } from '../core/network/slice-operator.ts';
import type { A1PolicyStatus } from '../core/network/a1ap.ts';
import { maxDlThptMbps, parseA1Policy, policyAppliesToCell, policyMatchesSlice, type A1SliceSlaPolicy } from './a1.ts';
import type { CqiTrace } from './trace.ts';

/** An error the HTTP layer maps to a status code (404 unknown cell, 400 a request the RAN refuses). */
export class RanError extends Error {
  override name = 'RanError';
  readonly status: 400 | 404 | 409;
  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.status = status;
  }
}

export interface EmulatedRanOptions {
  /** At the end of a trace: 'stop' (default; the cell reports `ended`) or 'loop' back to its start. */
  onTraceEnd?: 'stop' | 'loop';
}

export interface CellStatus {
  cell: RanCell;
  powered: boolean;
  intent: NetworkIntent | null;
  /** The A1 policies whose resources include this cell. */
  a1PolicyIds: string[];
  /**
   * Policies left unapplied on this cell because their S-NSSAI matches several of its slices: an
   * A1 policy names a slice only by S-NSSAI, so slices sharing one cannot be told apart.
   */
  a1Ambiguous: string[];
  trace: { source: string; samples: number; stepS: number; position: number; loops: number };
  ended: boolean;
  lastReport: TelemetryReport | null;
}

interface CellState {
  cell: RanCell;
  trace: CqiTrace;
  /** Index of the next sample to play. */
  position: number;
  /** Ticks played since the start, across loops: the emulated clock of the cell. */
  ticks: number;
  loops: number;
  ended: boolean;
  powered: boolean;
  intent: NetworkIntent | null;
  lastReport: TelemetryReport | null;
}

export class EmulatedRan {
  readonly #cells = new Map<string, CellState>();
  readonly #policies = new Map<string, A1SliceSlaPolicy>();
  readonly #destinations = new Map<string, string>();
  readonly #onTraceEnd: 'stop' | 'loop';

  constructor(opts: EmulatedRanOptions = {}) {
    this.#onTraceEnd = opts.onTraceEnd ?? 'stop';
  }

  addCell(cellInput: RanCellInput, trace: CqiTrace): void {
    const cell = ranCellSchema.parse(cellInput);
    if (this.#cells.has(cell.cellId)) throw new RanError(409, `cell ${cell.cellId} already exists`);
    if (trace.samples.length === 0) throw new RanError(400, `cell ${cell.cellId}: the trace has no samples`);
    this.#cells.set(cell.cellId, {
      cell,
      trace,
      position: 0,
      ticks: 0,
      loops: 0,
      ended: false,
      powered: true,
      intent: null,
      lastReport: null,
    });
  }

  cellIds(): string[] {
    return [...this.#cells.keys()];
  }

  /** Throws a ZodError for a malformed intent, RanError 404 for an unknown cell, 400 for too many PRBs. */
  enforce(intentInput: NetworkIntent): void {
    const intent = networkIntentSchema.parse(intentInput);
    const state = this.#state(intent.cellId);
    const prbs = intent.slices.reduce((sum, s) => sum + s.prbs, 0);
    if (prbs > state.cell.prbs) {
      throw new RanError(400, `cell ${intent.cellId}: the slices take ${prbs} PRBs, the cell has ${state.cell.prbs}`);
    }
    const ids = new Set(intent.slices.map((s) => s.sliceId));
    if (ids.size !== intent.slices.length) throw new RanError(400, `cell ${intent.cellId}: duplicate sliceId`);
    state.intent = intent;
  }

  /**
   * Creates or replaces a policy; returns true when it was created. Throws a ZodError for a
   * malformed one. `notificationDestination` (A1AP's query parameter) is where status changes of
   * this policy are to be POSTed; a replacement without one keeps the earlier destination.
   */
  putA1Policy(policyId: string, policyInput: unknown, notificationDestination?: string): boolean {
    const created = !this.#policies.has(policyId);
    this.#policies.set(policyId, parseA1Policy(policyInput));
    if (notificationDestination !== undefined) this.#destinations.set(policyId, notificationDestination);
    return created;
  }

  /**
   * A1TD's policy status: ENFORCED when the policy caps a slice on some cell it scopes;
   * NOT_ENFORCED because no cell it scopes has a slice with its S-NSSAI (SCOPE_NOT_APPLICABLE),
   * or because the only matching slices share their S-NSSAI and cannot be told apart
   * (STATEMENT_NOT_APPLICABLE). Undefined for an unknown policy.
   */
  a1PolicyStatus(policyId: string): A1PolicyStatus | undefined {
    const policy = this.#policies.get(policyId);
    if (!policy) return undefined;
    let ambiguous = false;
    for (const [cellId, s] of this.#cells) {
      if (!policyAppliesToCell(policy, cellId)) continue;
      const matching = (s.intent?.slices ?? []).filter((x) => policyMatchesSlice(policy, x));
      if (matching.length === 1) return { enforceStatus: 'ENFORCED' };
      if (matching.length > 1) ambiguous = true;
    }
    return {
      enforceStatus: 'NOT_ENFORCED',
      enforceReason: ambiguous ? 'STATEMENT_NOT_APPLICABLE' : 'SCOPE_NOT_APPLICABLE',
    };
  }

  /** Where a policy's status changes go (A1AP notificationDestination), if its creator gave one. */
  a1NotificationDestination(policyId: string): string | undefined {
    return this.#destinations.get(policyId);
  }

  /**
   * The near-RT RIC restarts and loses its policy store, as an in-memory RIC does: every policy
   * and notification destination is gone, the cells and their network intents stay (the gNB's
   * configuration is not the RIC's). The A1 consumer must notice and send the policies again.
   */
  restartRic(): void {
    this.#policies.clear();
    this.#destinations.clear();
  }

  getA1Policy(policyId: string): A1SliceSlaPolicy | undefined {
    return this.#policies.get(policyId);
  }

  /** Returns false when there was no such policy. */
  deleteA1Policy(policyId: string): boolean {
    this.#destinations.delete(policyId);
    return this.#policies.delete(policyId);
  }

  a1PolicyIds(): string[] {
    return [...this.#policies.keys()];
  }

  setPowered(cellId: string, on: boolean): void {
    this.#state(cellId).powered = on;
  }

  status(cellId: string): CellStatus {
    const s = this.#state(cellId);
    const slices = s.intent?.slices ?? [];
    const onCell = [...this.#policies].filter(([, p]) => policyAppliesToCell(p, cellId));
    return {
      cell: s.cell,
      powered: s.powered,
      intent: s.intent,
      a1PolicyIds: onCell.map(([id]) => id),
      a1Ambiguous: onCell
        .filter(([, p]) => slices.filter((x) => policyMatchesSlice(p, x)).length > 1)
        .map(([id]) => id),
      trace: {
        source: s.trace.meta.source,
        samples: s.trace.samples.length,
        stepS: s.trace.meta.stepS,
        position: s.position,
        loops: s.loops,
      },
      ended: s.ended,
      lastReport: s.lastReport,
    };
  }

  /** True when the cell's trace has ended (never with onTraceEnd 'loop'). */
  ended(cellId: string): boolean {
    return this.#state(cellId).ended;
  }

  /**
   * Plays the next trace sample and reports it; undefined once the trace has ended. tS counts
   * ticks × step from the start of the replay, so it keeps growing across loops.
   */
  tick(cellId: string): TelemetryReport | undefined {
    const s = this.#state(cellId);
    if (s.ended) return undefined;
    const sample = s.trace.samples[s.position]!;
    const tS = s.ticks * s.trace.meta.stepS;
    s.ticks++;
    s.position++;
    if (s.position >= s.trace.samples.length) {
      // Ended right after its last sample, so a replay loop stops without an empty extra tick.
      if (this.#onTraceEnd === 'loop') {
        s.position = 0;
        s.loops++;
      } else {
        s.ended = true;
      }
    }
    s.lastReport = this.#report(s, tS, sample.cqi);
    return s.lastReport;
  }

  #report(s: CellState, tS: number, cqi: number): TelemetryReport {
    // The plan's MCS ceiling (the twin check's) binds the scheduler's link adaptation, as a
    // gNB's maximum-MCS setting would, and so what the cell can carry: the capacity reported is
    // under it too, so the cell session sees a plan the ceiling no longer fits and renegotiates.
    // It was checked for the plan's CQI: on a better channel it no longer applies (the session
    // re-plans, and re-checks, when the CQI settles there), or a cap set in a bad spell would hold
    // the cell's capacity down after the channel recovered.
    const ceiling = s.intent?.maxMcsIndex;
    const limits = ceiling !== undefined && cqi <= s.intent!.cqi ? { maxMcsIndex: ceiling } : {};
    const slices = (s.intent?.slices ?? []).map((slice) => ({
      sliceId: slice.sliceId,
      prbs: slice.prbs,
      // Switched off, the cell carries nothing; its CQI and capacity still come in, as the UEs
      // keep measuring it (CSI-RS of the neighbour cells' coverage in a real deployment).
      deliveredMbps: s.powered
        ? Math.min(downlinkThroughputMbps(s.cell, cqi, slice.prbs, limits), this.#sliceCapMbps(s, slice))
        : 0,
    }));
    return {
      cellId: s.cell.cellId,
      tS,
      cqi,
      capacityMbps: cellCapacityMbps(s.cell, cqi, limits),
      powered: s.powered,
      deliveredMbps: slices.reduce((sum, x) => sum + x.deliveredMbps, 0),
      slices,
    };
  }

  /**
   * The slice's cap: the smallest A1 maxDlThptPerSlice of the policies on this cell whose S-NSSAI
   * matches this slice and no other slice of the intent; without one, what the intent requested.
   */
  #sliceCapMbps(s: CellState, slice: NetworkIntent['slices'][number]): number {
    const slices = s.intent?.slices ?? [];
    let capMbps: number | undefined;
    for (const policy of this.#policies.values()) {
      if (!policyAppliesToCell(policy, s.cell.cellId) || !policyMatchesSlice(policy, slice)) continue;
      if (slices.filter((x) => policyMatchesSlice(policy, x)).length > 1) continue;
      const maxMbps = maxDlThptMbps(policy);
      if (maxMbps !== undefined) capMbps = Math.min(capMbps ?? Infinity, maxMbps);
    }
    return capMbps ?? slice.requestedMbps;
  }

  #state(cellId: string): CellState {
    const s = this.#cells.get(cellId);
    if (!s) throw new RanError(404, `no cell ${cellId}`);
    return s;
  }
}
