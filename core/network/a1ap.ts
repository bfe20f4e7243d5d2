/**
 * O-RAN A1AP v2 (O-RAN.WG2.A1AP-v02.00), the A1-P consumer/provider contract: the resource paths
 * under `{apiRoot}/A1-P/v2`, the ProblemDetails error body (RFC 7807) and the status object of the
 * ORAN_SliceSLATarget policy type (O-RAN.WG2.A1TD: enforceStatus, enforceReason). Pure: the
 * emulated RAN serves these paths and the slice operator's A1 client calls them, so neither can
 * drift from the other. Reference: O-RAN SC sim-a1-interface, STD_2.0.0/ORAN_A1-p_V2.0.0_api.yaml.
 */
import { z } from 'zod';

export const a1apRoot = '/A1-P/v2';

const seg = encodeURIComponent;

export const a1apPaths = {
  policyTypes: () => `${a1apRoot}/policytypes`,
  policyType: (policyTypeId: string) => `${a1apRoot}/policytypes/${seg(policyTypeId)}`,
  policies: (policyTypeId: string) => `${a1apRoot}/policytypes/${seg(policyTypeId)}/policies`,
  policy: (policyTypeId: string, policyId: string) =>
    `${a1apRoot}/policytypes/${seg(policyTypeId)}/policies/${seg(policyId)}`,
  policyStatus: (policyTypeId: string, policyId: string) =>
    `${a1apRoot}/policytypes/${seg(policyTypeId)}/policies/${seg(policyId)}/status`,
} as const;

/** The same resources as route patterns (express-style `:name` parameters), for a provider's router. */
export const a1apRoutes = {
  policyTypes: `${a1apRoot}/policytypes`,
  policyType: `${a1apRoot}/policytypes/:policyTypeId`,
  policies: `${a1apRoot}/policytypes/:policyTypeId/policies`,
  policy: `${a1apRoot}/policytypes/:policyTypeId/policies/:policyId`,
  policyStatus: `${a1apRoot}/policytypes/:policyTypeId/policies/:policyId/status`,
} as const;

/** RFC 7807 problem details, as A1AP answers every 4xx/5xx (media type application/problem+json). */
export const problemDetailsSchema = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
  instance: z.string().optional(),
});
export type ProblemDetails = z.infer<typeof problemDetailsSchema>;

export const problemJsonMediaType = 'application/problem+json';

/** PolicyTypeObject: the policy's JSON Schema, and optionally its status's. */
export const policyTypeObjectSchema = z.object({
  policySchema: z.record(z.string(), z.unknown()),
  statusSchema: z.record(z.string(), z.unknown()).optional(),
});
export type PolicyTypeObject = z.infer<typeof policyTypeObjectSchema>;

/**
 * The policy status A1TD defines for its policy types: whether the near-RT RIC enforces the
 * policy, and if not, why (the scope names nothing it controls, or the statement cannot be applied).
 */
export const a1PolicyStatusSchema = z.object({
  enforceStatus: z.enum(['ENFORCED', 'NOT_ENFORCED']),
  enforceReason: z.enum(['SCOPE_NOT_APPLICABLE', 'STATEMENT_NOT_APPLICABLE', 'OTHER_REASON']).optional(),
});
export type A1PolicyStatus = z.infer<typeof a1PolicyStatusSchema>;

/** Each policy's status as a RIC reported it, by policy id (null: the RIC does not hold it). */
export type A1StatusById = Record<string, A1PolicyStatus | null>;

export const policyIdListSchema = z.array(z.string());
