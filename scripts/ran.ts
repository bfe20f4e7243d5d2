/**
 * `npm run ran` (and `npm start`'s `ran` process): the emulated RAN, its telemetry delivered to
 * the cell sessions in Temporal as signals (scripts/lib/cell-telemetry.ts). The emulator itself
 * (ran-emulator/) stays free of maestro's workflows, as a real RAN would be.
 *
 *   --trace <csv>        replay a drive trace in the ucc5g format (e.g. ../shared/data/cqi-ucc5g/…)
 *   --synthetic <kind>   drive-by (default) or fig5 (the MAESTRO paper's Fig. 5 staircase)
 *   --speed <x>          emulated seconds per wall second (default 1)
 *   --seed <n>           seed of the synthetic traces (default 1)
 *   --no-loop            stop at the end of the trace instead of replaying it again
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../core/config.ts';
import { runEmulatedRan } from '../ran-emulator/main.ts';
import { temporalTelemetrySink } from './lib/cell-telemetry.ts';

runEmulatedRan(async () => {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporalAddress });
  const sink = temporalTelemetrySink(new Client({ connection, namespace: config.namespace }));
  return {
    send: (report) => sink.send(report),
    describe: `cell sessions in ${config.namespace}`,
    summary: () => {
      const { delivered, unheard } = sink.counts();
      return `${delivered} reports delivered, ${unheard} to cells without a session`;
    },
    close: () => connection.close(),
  };
}).catch((err: unknown) => {
  console.error('[ran] fatal:', err instanceof Error ? err.message : err);
  process.exit(1);
});
