/**
 * maestro's telemetry ingestion: a RAN's reports (here the emulated RAN's) to the cell sessions: one Temporal signal per report to the
 * session of the report's cell. A cell without a session (no intents yet) is simply not
 * listening: those reports are counted as unheard, not treated as errors.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TelemetryReport } from '../../core/network/contracts.ts';
import { cellSessionIdOf } from '../../workflows/cell-session/ids.ts';
import { telemetrySignal } from '../../workflows/cell-session/messages.ts';

export interface TemporalTelemetrySink {
  send(report: TelemetryReport): Promise<void>;
  counts(): { delivered: number; unheard: number };
}

export function temporalTelemetrySink(client: Client): TemporalTelemetrySink {
  let delivered = 0;
  let unheard = 0;
  return {
    async send(report) {
      try {
        await client.workflow.getHandle(cellSessionIdOf(report.cellId)).signal(telemetrySignal, report);
        delivered += 1;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) unheard += 1;
        else throw err;
      }
    },
    counts: () => ({ delivered, unheard }),
  };
}
