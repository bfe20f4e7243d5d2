/**
 * The replay loop: advances every cell of the emulated RAN by one trace step per period of
 * 1000 / speed ms of wall time and hands each report to a sink (in maestro, the activity that
 * signals the cell-session workflow). One step at a time: the next starts only when every sink
 * call of the previous one has settled, so reports of a cell reach the sink in order; a slow sink
 * stretches wall time instead of piling up concurrent steps.
 */
import type { TelemetryReport } from '../core/network/contracts.ts';
import type { EmulatedRan } from './ran.ts';

export type TelemetrySink = (report: TelemetryReport) => Promise<void> | void;

export interface ReplayClockOptions {
  ran: EmulatedRan;
  sink: TelemetrySink;
  /** Emulated seconds per wall second, for traces with a 1 s step (default 1: real time). */
  speed?: number;
  /** Called once when every cell's trace has ended (never when the RAN loops its traces). */
  onEnded?: () => void;
  /** Where sink failures are logged (default console.error). */
  log?: (message: string, err: unknown) => void;
}

export interface ReplayStats {
  steps: number;
  reportsDelivered: number;
  /** Reports the sink threw or rejected on: logged and counted, never retried. */
  sinkFailures: number;
  running: boolean;
  ended: boolean;
}

export class ReplayClock {
  readonly #ran: EmulatedRan;
  readonly #sink: TelemetrySink;
  readonly #periodMs: number;
  readonly #onEnded: (() => void) | undefined;
  readonly #log: (message: string, err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  /** Bumped by start(): a step still in flight from before a stop() must not schedule the old loop. */
  #generation = 0;
  #running = false;
  #ended = false;
  #steps = 0;
  #delivered = 0;
  #failures = 0;

  constructor(opts: ReplayClockOptions) {
    const speed = opts.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`ReplayClock: speed must be positive, got ${speed}`);
    this.#ran = opts.ran;
    this.#sink = opts.sink;
    this.#periodMs = 1000 / speed;
    this.#onEnded = opts.onEnded;
    this.#log = opts.log ?? ((message, err) => console.error(message, err));
  }

  get stats(): ReplayStats {
    return {
      steps: this.#steps,
      reportsDelivered: this.#delivered,
      sinkFailures: this.#failures,
      running: this.#running,
      ended: this.#ended,
    };
  }

  /** Starts ticking; the first step runs at once. No-op while running or after the traces ended. */
  start(): void {
    if (this.#running || this.#ended) return;
    this.#running = true;
    this.#generation++;
    this.#schedule(this.#generation, performance.now(), 0);
  }

  /** Stops after the step in flight (if any); start() resumes where the traces are. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One step: ticks every cell whose trace has not ended and delivers the reports. Public so
   * tests and batch runs can drive the RAN without wall time. Returns the reports of the step.
   */
  async step(): Promise<TelemetryReport[]> {
    const reports: TelemetryReport[] = [];
    for (const cellId of this.#ran.cellIds()) {
      const report = this.#ran.ended(cellId) ? undefined : this.#ran.tick(cellId);
      if (report) reports.push(report);
    }
    this.#steps++;
    const results = await Promise.allSettled(reports.map(async (r) => this.#sink(r)));
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        this.#delivered++;
      } else {
        this.#failures++;
        const r = reports[i]!;
        this.#log(`[ran-emulator] telemetry sink failed for cell ${r.cellId} at tS=${r.tS}`, result.reason);
      }
    });
    return reports;
  }

  /** The ideal time of step k is start + k·period, so the replay does not drift with the work done per step. */
  #schedule(generation: number, startMs: number, k: number): void {
    const delayMs = Math.max(0, startMs + k * this.#periodMs - performance.now());
    this.#timer = setTimeout(() => {
      this.step().then(
        () => {
          if (generation !== this.#generation) return;
          const cellIds = this.#ran.cellIds();
          if (cellIds.length > 0 && cellIds.every((id) => this.#ran.ended(id))) {
            this.#ended = true;
            this.stop();
            this.#onEnded?.();
            return;
          }
          if (this.#running) this.#schedule(generation, startMs, k + 1);
        },
        (err: unknown) => {
          // Only the RAN itself can throw here (the sink's errors are settled in step()): a bug, so stop loudly.
          this.#log('[ran-emulator] replay step failed; the clock stops', err);
          this.stop();
        },
      );
    }, delayMs);
  }
}
