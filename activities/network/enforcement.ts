/**
 * Enforcement of a consensus (paper Fig. 4, service plane → network plane): the slice operator
 * turns the cell's negotiated throughput into a network intent — PRBs per BO slice at the
 * current CQI — and one O-RAN A1 ORAN_SliceSLATarget policy per slice, then pushes both to the RAN.
 */
import { createHash } from 'node:crypto';
import type { NetworkIntent, RanCell } from '../../core/network/contracts.ts';
import { a1SliceSlaPolicy, planNetworkIntent } from '../../core/network/slice-operator.ts';
import type { RanClient } from './ran-client.ts';

export interface EnforceInput {
  cell: RanCell;
  cqi: number;
  /** The consensus: the throughput the shared cell is to deliver, in Mbps. */
  throughputMbps: number;
  /** The BOs sharing it; each gets a slice with a share of the throughput in proportion to its weight. */
  tenants: { tenantId: string; weight: number }[];
}

export interface EnforceResult {
  networkIntent: NetworkIntent;
  a1PolicyIds: string[];
}

/** Shares of the consensus per BO slice, proportional to the operator's contract weights. */
export function sliceShares(throughputMbps: number, tenants: EnforceInput['tenants']) {
  const total = tenants.reduce((s, t) => s + t.weight, 0);
  return tenants.map((t) => ({
    sliceId: t.tenantId,
    // eMBB (SST 1); the SD tells the BOs' slices apart, so each A1 policy scopes exactly one slice.
    sst: 1,
    sd: createHash('sha256').update(t.tenantId).digest('hex').slice(0, 6).toUpperCase(),
    throughputMbps: total > 0 ? (throughputMbps * t.weight) / total : 0,
  }));
}

export const a1PolicyIdOf = (cellId: string, sliceId: string): string => `${cellId}.${sliceId}`;

export function createEnforcementActivities(ran: RanClient) {
  return {
    async enforceCellThroughput(input: EnforceInput): Promise<EnforceResult> {
      const networkIntent = planNetworkIntent(input.cell, input.cqi, sliceShares(input.throughputMbps, input.tenants));
      // The A1 policies first: the RAN then caps each slice at its SLA as soon as the PRBs change.
      const a1PolicyIds: string[] = [];
      for (const slice of networkIntent.slices) {
        const id = a1PolicyIdOf(input.cell.cellId, slice.sliceId);
        await ran.putA1Policy(id, a1SliceSlaPolicy(input.cell, slice));
        a1PolicyIds.push(id);
      }
      await ran.putNetworkIntent(networkIntent);
      return { networkIntent, a1PolicyIds };
    },

    async setCellPower(input: { cellId: string; on: boolean }): Promise<void> {
      await ran.setPower(input.cellId, input.on);
    },
  };
}
