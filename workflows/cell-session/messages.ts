/** What a cell session answers and accepts: its state (query), intents (updates), telemetry (signal). */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TelemetryReport } from '../../core/network/contracts.ts';
import type { CellSessionState, SessionIntent } from './types.ts';

export const cellSessionStateQuery = defineQuery<CellSessionState>('cellSessionState');

/**
 * Create or replace one tenant's intent on this cell. An update, because the API answers the
 * tenant only once the session has accepted it (validator: right cell, right owner).
 */
export const upsertIntentUpdate = defineUpdate<{ version: number }, [SessionIntent]>('upsertIntent');

export const deleteIntentUpdate = defineUpdate<{ deleted: true }, [{ intentId: string; tenantId: string }]>(
  'deleteIntent',
);

/** One report of the (emulated) RAN for this cell: CQI, capacity, delivered throughput. */
export const telemetrySignal = defineSignal<[TelemetryReport]>('telemetry');
