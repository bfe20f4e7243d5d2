/**
 * `npm start`'s process supervisor, as a deployment's would be: a process that dies unasked is
 * started again with backoff (1 s, doubling to 30 s) while the others stay up; one that keeps dying
 * (more than `maxRestarts` within `windowMs`) is given up on with a clear message, and then the
 * whole stack stops (a half-running maestro is worse than a stopped one). The state of every
 * process is written to a JSON file the API's /healthz reads ("degraded: restarting worker").
 * Ctrl-C stops everything in reverse start order, with no restarts.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stopService, type Service } from '../services.ts';

export type ProcessState = 'running' | 'restarting' | 'failed' | 'stopped';

export interface ProcessStatus {
  state: ProcessState;
  restarts: number;
  /** The last unasked exit: code or signal, and when. */
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

export interface SupervisorOptions {
  /** Where the state of every process is written (read by the API's health check); none: not written. */
  stateFile?: string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxRestarts?: number;
  windowMs?: number;
  /** Called once when a process is given up on; the supervisor has stopped the rest by then. */
  onGiveUp?: (name: string, message: string) => void;
  log?: (line: string) => void;
}

interface Entry {
  name: string;
  start: () => Service;
  service: Service;
  status: ProcessStatus;
  exits: number[];
  timer: NodeJS.Timeout | null;
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;
  private readonly options: Required<Omit<SupervisorOptions, 'stateFile'>> & { stateFile?: string };

  constructor(options: SupervisorOptions = {}) {
    this.options = {
      initialBackoffMs: 1_000,
      maxBackoffMs: 30_000,
      maxRestarts: 5,
      windowMs: 5 * 60_000,
      onGiveUp: () => undefined,
      log: (line) => console.error(line),
      ...options,
    };
  }

  /** Starts a process under supervision; `start` is called again for each restart. */
  add(name: string, start: () => Service): Service {
    const entry: Entry = {
      name,
      start,
      service: start(),
      status: { state: 'running', restarts: 0, lastExit: null },
      exits: [],
      timer: null,
    };
    this.entries.push(entry);
    this.watch(entry);
    this.writeState();
    return entry.service;
  }

  /** The current process of a supervised name (it changes at each restart). */
  current(name: string): Service | undefined {
    return this.entries.find((e) => e.name === name)?.service;
  }

  status(): Record<string, ProcessStatus> {
    return Object.fromEntries(this.entries.map((e) => [e.name, { ...e.status }]));
  }

  /** Stops every process, last started first, and restarts none. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const entry of [...this.entries].reverse()) {
      if (entry.timer) clearTimeout(entry.timer);
      await stopService(entry.service);
      entry.status.state = 'stopped';
    }
    this.writeState();
  }

  private watch(entry: Entry): void {
    const service = entry.service;
    void service.exited.then((code) => {
      if (this.stopping || entry.service !== service) return;
      const now = Date.now();
      entry.status.lastExit = { code, signal: service.child.signalCode, at: new Date(now).toISOString() };
      entry.exits = [...entry.exits.filter((t) => now - t < this.options.windowMs), now];
      const how = code !== null ? `with ${code}` : `on ${service.child.signalCode ?? 'a signal'}`;
      if (entry.exits.length > this.options.maxRestarts) {
        entry.status.state = 'failed';
        this.writeState();
        const message = `${entry.name} exited ${entry.exits.length} times within ${Math.round(this.options.windowMs / 1000)} s (last ${how}); giving up`;
        this.options.log(`[supervisor] ${message}`);
        void this.stopAll().then(() => this.options.onGiveUp(entry.name, message));
        return;
      }
      const backoff = Math.min(
        this.options.maxBackoffMs,
        this.options.initialBackoffMs * 2 ** (entry.exits.length - 1),
      );
      entry.status.state = 'restarting';
      this.writeState();
      this.options.log(`[supervisor] ${entry.name} exited ${how}; restarting in ${backoff} ms`);
      entry.timer = setTimeout(() => {
        entry.timer = null;
        if (this.stopping) return;
        entry.service = entry.start();
        entry.status.restarts += 1;
        entry.status.state = 'running';
        this.watch(entry);
        this.writeState();
      }, backoff);
    });
  }

  private writeState(): void {
    const file = this.options.stateFile;
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const body = { pid: process.pid, updatedAt: new Date().toISOString(), processes: this.status() };
    writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
    renameSync(`${file}.tmp`, file); // readers never see half a file
  }
}
