/**
 * What the negotiation workflow reports to its worker's metrics, through Temporal sinks: sink
 * calls leave the workflow sandbox without touching history and are skipped during replay, so a
 * replayed negotiation is not counted twice.
 */
import type { Sinks } from '@temporalio/workflow';
import type { OptimizerMode } from '../negotiation/schemas.ts';

export interface NegotiationSinks extends Sinks {
  metrics: {
    negotiationStarted(event: { parties: number; optimizerMode: OptimizerMode }): void;
    negotiationFinished(event: { status: string; rounds: number; durationMs: number }): void;
  };
}
