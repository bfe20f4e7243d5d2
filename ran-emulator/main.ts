/**
 * The emulated RAN as a process: every configured cell replays a CQI trace, takes network intents
 * and A1 policies over HTTP, and hands one telemetry report per cell and emulated second to a
 * sink. Like a real RAN it knows nothing of maestro's workflows: `scripts/ran.ts` (`npm run ran`,
 * run by `npm start`) gives it the sink that signals the cell sessions.
 *
 *   --trace <csv>        replay a drive trace in the ucc5g format (e.g. ../shared/data/cqi-ucc5g/…)
 *   --synthetic <kind>   drive-by (default) or fig5 (the MAESTRO paper's Fig. 5 staircase)
 *   --speed <x>          emulated seconds per wall second (default 1)
 *   --seed <n>           seed of the synthetic traces (default 1)
 *   --no-loop            stop at the end of the trace instead of replaying it again
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.ts';
import { loadCells } from '../core/network/cells.ts';
import { ReplayClock } from './clock.ts';
import { EmulatedRan } from './ran.ts';
import { startRanServer } from './server.ts';
import { driveByTrace, MAESTRO_FIG5_SEGMENTS, scriptedTrace } from './synthetic.ts';
import type { TelemetrySink } from './clock.ts';
import { loadUcc5gTrace, type CqiTrace } from './trace.ts';

export interface TraceChoice {
  trace?: string;
  synthetic?: string;
  seed: number;
}

export function chooseTrace(choice: TraceChoice, cellIndex: number): CqiTrace {
  if (choice.trace) return loadUcc5gTrace(choice.trace);
  const kind = choice.synthetic ?? 'drive-by';
  if (kind === 'fig5') return scriptedTrace(MAESTRO_FIG5_SEGMENTS, { noiseStd: 0.6, seed: choice.seed + cellIndex });
  if (kind === 'drive-by') return driveByTrace({ seed: choice.seed + cellIndex });
  throw new Error(`unknown synthetic trace ${kind} (drive-by | fig5)`);
}

export interface RanTelemetrySink {
  send: TelemetrySink;
  /** Where the reports go, for the start-up line. */
  describe: string;
  /** Printed when the RAN stops. */
  summary(): string;
  close(): Promise<void>;
}

/** Parses the command line, starts the cells, the HTTP server and the replay into `sink`; stops on SIGINT/SIGTERM. */
export async function runEmulatedRan(makeSink: () => Promise<RanTelemetrySink>): Promise<void> {
  const { values } = parseArgs({
    options: {
      trace: { type: 'string' },
      synthetic: { type: 'string' },
      speed: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      'no-loop': { type: 'boolean', default: false },
    },
  });
  const config = loadConfig();
  const speed = Number(values.speed);
  const ran = new EmulatedRan({ onTraceEnd: values['no-loop'] ? 'stop' : 'loop' });
  const cells = [...loadCells(config.cellsFile).values()];
  cells.forEach((cell, i) => {
    const choice: TraceChoice = { seed: Number(values.seed) };
    if (values.trace) choice.trace = values.trace;
    if (values.synthetic) choice.synthetic = values.synthetic;
    ran.addCell(cell, chooseTrace(choice, i));
  });
  const server = await startRanServer({ ran, port: config.ranPort });
  const sink = await makeSink();
  const clock = new ReplayClock({
    ran,
    speed,
    sink: sink.send,
    onEnded: () => console.log('[ran] every trace has ended'),
  });
  clock.start();
  console.log(
    `[ran] emulated RAN (stand-in for OAI + FlexRIC) on ${server.url}: cells ${cells.map((c) => c.cellId).join(', ')}, ` +
      `trace ${values.trace ?? values.synthetic ?? 'drive-by'}, ×${speed}; telemetry → ${sink.describe}`,
  );
  const stop = (): void => {
    clock.stop();
    console.log(`[ran] stopping: ${sink.summary()}`);
    void server
      .close()
      .then(() => sink.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
