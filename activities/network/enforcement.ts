/**
 * Enforcement of a consensus (paper Fig. 4, service plane → network plane): the slice operator
 * turns the cell's negotiated throughput into a network intent — PRBs per BO slice at the
 * current CQI — and one O-RAN A1 ORAN_SliceSLATarget policy per slice. The policies go to the
 * near-RT RIC over A1AP v2 (a1-client.ts), the network intent to the RAN (ran-client.ts).
 *
 * Like O-RAN SC's A1 Policy Management Service, the slice operator owns the policies it created:
 * it checks that the RIC offers the policy type, removes its policies for slices that left the
 * cell, reads every policy's status back, and (`syncA1Policies`) re-sends what a restarted RIC lost.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { A1StatusById } from '../../core/network/a1ap.ts';
import type { NetworkIntent, RanCell } from '../../core/network/contracts.ts';
import { a1SliceSlaPolicy, a1SliceSlaPolicyTypeId, planNetworkIntent } from '../../core/network/slice-operator.ts';
import type { A1Client } from './a1-client.ts';
import type { RanClient } from './ran-client.ts';

export interface EnforceInput {
  cell: RanCell;
  cqi: number;
  /** The consensus: the throughput the shared cell is to deliver, in Mbps. */
  throughputMbps: number;
  /** The BOs sharing it; each gets a slice with a share of the throughput in proportion to its weight. */
  tenants: { tenantId: string; weight: number }[];
  /** The twin check's MCS ceiling for the current channel (core/network/twin-check.ts); absent: the CQI decides. */
  maxMcsIndex?: number;
}

export interface EnforceResult {
  networkIntent: NetworkIntent;
  a1PolicyIds: string[];
  /** Read back from the RIC once the policies and the network intent are in place. */
  a1Status?: A1StatusById;
  /** This cell's policies the RIC held for slices no longer in the plan, now deleted. */
  a1Removed?: string[];
}

export interface A1SyncInput {
  cell: RanCell;
  /** The enforced plan whose policies the RIC must hold. */
  networkIntent: NetworkIntent;
}

export interface A1SyncResult {
  /** Policies the RIC had lost (e.g. after a restart), sent again. */
  resent: string[];
  /** Policies the RIC held with other content, replaced by the plan's. */
  repaired: string[];
  a1Status: A1StatusById;
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

/** The A1 policies a plan needs on the RIC, by policy id. */
export function plannedA1Policies(cell: RanCell, networkIntent: NetworkIntent): Map<string, unknown> {
  return new Map(
    networkIntent.slices.map((slice) => [a1PolicyIdOf(cell.cellId, slice.sliceId), a1SliceSlaPolicy(cell, slice)]),
  );
}

/** JSON with object keys sorted, so a policy read back from the RIC compares equal to the one sent. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function createEnforcementActivities(ran: RanClient, a1: A1Client) {
  const typeId = a1SliceSlaPolicyTypeId;

  /** A1AP policy type discovery: a RIC that does not offer the type can never take the policies. */
  const requirePolicyType = async (): Promise<void> => {
    const offered = await a1.policyTypeIds();
    if (!offered.includes(typeId)) {
      throw ApplicationFailure.create({
        message: `the near-RT RIC at ${a1.baseUrl} does not offer policy type ${typeId} (it offers: ${offered.join(', ') || 'none'})`,
        type: 'A1PolicyTypeMissing',
        nonRetryable: true,
      });
    }
  };

  const readStatuses = async (ids: Iterable<string>): Promise<A1StatusById> => {
    const out: A1StatusById = {};
    for (const id of ids) out[id] = await a1.policyStatus(typeId, id);
    return out;
  };

  /** Puts a plan in force: its A1 policies (stale ones of the cell removed), then its network intent. */
  const apply = async (cell: RanCell, networkIntent: NetworkIntent): Promise<EnforceResult> => {
    await requirePolicyType();
    const policies = plannedA1Policies(cell, networkIntent);
    // The A1 policies first: the RAN then caps each slice at its SLA as soon as the PRBs change.
    for (const [id, policy] of policies) await a1.putPolicy(typeId, id, policy);
    // This cell's policies for slices that left the plan would keep capping nothing, or a slice
    // that comes back later at a stale figure.
    const prefix = `${cell.cellId}.`;
    const a1Removed: string[] = [];
    for (const id of await a1.policyIds(typeId)) {
      if (id.startsWith(prefix) && !policies.has(id) && (await a1.deletePolicy(typeId, id))) a1Removed.push(id);
    }
    await ran.putNetworkIntent(networkIntent);
    return {
      networkIntent,
      a1PolicyIds: [...policies.keys()],
      a1Status: await readStatuses(policies.keys()),
      a1Removed,
    };
  };

  return {
    async enforceCellThroughput(input: EnforceInput): Promise<EnforceResult> {
      const networkIntent = planNetworkIntent(
        input.cell,
        input.cqi,
        sliceShares(input.throughputMbps, input.tenants),
        input.maxMcsIndex === undefined ? {} : { maxMcsIndex: input.maxMcsIndex },
      );
      return apply(input.cell, networkIntent);
    },

    /** Puts an earlier plan back in force as it was (a revert on degradation). */
    async restoreNetworkIntent(input: A1SyncInput): Promise<EnforceResult> {
      return apply(input.cell, input.networkIntent);
    },

    /**
     * Makes the RIC hold exactly the enforced plan's policies: what it lost is sent again, what it
     * holds with other content is replaced. Idempotent; the cell session calls it periodically.
     */
    async syncA1Policies(input: A1SyncInput): Promise<A1SyncResult> {
      await requirePolicyType();
      const policies = plannedA1Policies(input.cell, input.networkIntent);
      const onRic = new Set(await a1.policyIds(typeId));
      const resent: string[] = [];
      const repaired: string[] = [];
      for (const [id, policy] of policies) {
        if (!onRic.has(id)) {
          await a1.putPolicy(typeId, id, policy);
          resent.push(id);
          continue;
        }
        const held = await a1.getPolicy(typeId, id);
        if (canonicalJson(held) !== canonicalJson(policy)) {
          await a1.putPolicy(typeId, id, policy);
          repaired.push(id);
        }
      }
      return { resent, repaired, a1Status: await readStatuses(policies.keys()) };
    },

    async setCellPower(input: { cellId: string; on: boolean }): Promise<void> {
      await ran.setPower(input.cellId, input.on);
    },
  };
}
