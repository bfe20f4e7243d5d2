/**
 * How the emulated RAN reads ORAN_SliceSLATarget_1.0.0 policies (schema: core/network/
 * slice-operator.ts, after O-RAN.WG2.A1TD). A policy names a slice by S-NSSAI and the cells by NR
 * Cell Identity; the emulator knows its cells by name and matches them through the same
 * nrCellIdentityOf the slice operator uses. The emulator serves one PLMN and has no tracking
 * areas, so the PLMN is not compared and a policy scoped by taIList (or with no
 * sliceSlaResources) applies to every cell.
 */
import type { NetworkIntent } from '../core/network/contracts.ts';
import {
  a1SliceSlaPolicySchema,
  a1SliceSlaPolicyTypeId,
  nrCellIdentityOf,
  type A1SliceSlaPolicy,
} from '../core/network/slice-operator.ts';

export { a1SliceSlaPolicySchema, a1SliceSlaPolicyTypeId, type A1SliceSlaPolicy };

/** Throws a ZodError for anything that is not a policy of the type. */
export const parseA1Policy = (policy: unknown): A1SliceSlaPolicy => a1SliceSlaPolicySchema.parse(policy);

export function policyAppliesToCell(policy: A1SliceSlaPolicy, cellId: string): boolean {
  const resources = policy.sliceSlaResources;
  if (!resources || !('cellIdList' in resources)) return true;
  const ncI = nrCellIdentityOf(cellId);
  return resources.cellIdList.some((c) => c.cId.ncI === ncI);
}

type IntentSlice = NetworkIntent['slices'][number];

/** Same S-NSSAI: SST equal and SD equal (hex, any case) or absent on both. */
export function policyMatchesSlice(policy: A1SliceSlaPolicy, slice: Pick<IntentSlice, 'sst' | 'sd'>): boolean {
  const { sst, sd } = policy.scope.sliceId;
  return sst === slice.sst && sd?.toLowerCase() === slice.sd?.toLowerCase();
}

/** The policy's maxDlThptPerSlice in Mbps (A1TD gives kbps), if it sets one. */
export function maxDlThptMbps(policy: A1SliceSlaPolicy): number | undefined {
  const kbps = policy.sliceSlaObjectives.maxDlThptPerSlice;
  return kbps === undefined ? undefined : kbps / 1000;
}
