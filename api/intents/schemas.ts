/** Response schemas of /v1/intents and /v1/cells: the types the service returns come from these. */
import { z } from 'zod';
import { cellSessionPhaseSchema } from '../../core/network/cell-session.ts';
import { feasibilityCheckReportSchema } from '../../core/intents/feasibility.ts';
import { intentBodySchema } from '../../core/intents/schemas.ts';

/** An intent as the API shows it: the body as stored plus what the system owns. */
export const intentResourceSchema = intentBodySchema.extend({
  id: z.string(),
  href: z.string(),
  tenantId: z.string(),
  cellId: z.string(),
  version: z.number().int().min(1),
  creationDate: z.string(),
  lastUpdate: z.string(),
});
export type IntentResource = z.infer<typeof intentResourceSchema>;

export const intentListSchema = z.object({ intents: z.array(intentResourceSchema) });
export const cellListSchema = z.object({ cells: z.array(z.string()).describe('cell ids a session can run on') });

/** TS 28.312 FulfilmentInfo (the spelling `notFullfilledState` is the specification's). */
const fulfilmentInfoSchema = z.object({
  fulfilmentStatus: z.enum(['FULFILLED', 'NOT_FULFILLED']),
  notFullfilledState: z
    .enum(['ACKNOWLEDGED', 'COMPLIANT', 'DEGRADED', 'SUSPENDED', 'TERMINATED', 'FULFILMENTFAILED'])
    .optional(),
  notFulfilledReasons: z.array(z.string()).optional(),
});
export type FulfilmentInfo = z.infer<typeof fulfilmentInfoSchema>;

export { cellSessionPhaseSchema };

/** A 28.312 IntentFulfilmentReport for one intent, with maestro's negotiation report for its cell. */
export const intentReportSchema = z.object({
  intentReference: z.string(),
  lastUpdatedTime: z.string(),
  intentFeasibilityCheckReport: feasibilityCheckReportSchema.describe(
    'whether the cell can carry the expectation at its current and predicted channel, checked now',
  ),
  intentFulfilmentReport: z.object({
    intentFulfilmentInfo: fulfilmentInfoSchema,
    expectationFulfilmentResult: z.array(
      z.object({
        expectationId: z.string(),
        expectationFulfilmentInfo: fulfilmentInfoSchema,
        targetFulfilmentResult: z.array(
          z.object({
            targetName: z.string(),
            targetFulfilmentInfo: fulfilmentInfoSchema,
            targetAchievedValue: z.number().nullable(),
          }),
        ),
      }),
    ),
  }),
  negotiationReport: z
    .object({
      cellId: z.string(),
      sessionPhase: cellSessionPhaseSchema,
      consensusMbps: z.number().nullable(),
      pendingApproval: z
        .object({ negotiationId: z.string(), valueMbps: z.number(), deadline: z.string() })
        .nullable()
        .describe('a consensus waiting for the operator’s approval before it is enforced'),
      slice: z
        .object({
          sliceId: z.string(),
          assignedMbps: z.number().nullable(),
          prbs: z.number().int().nullable(),
          deliveredMbps: z.number().nullable(),
        })
        .nullable()
        .describe("this tenant's slice: assigned and delivered throughput (mean over observationPeriod)"),
      cellDeliveredMbps: z.number().nullable(),
      capacityMbps: z.number().nullable(),
      observedReports: z.number().int(),
      negotiations: z.array(
        z.object({
          negotiationId: z.string(),
          trigger: z.string(),
          status: z.string().nullable(),
          valueMbps: z.number().nullable(),
          decidedBy: z.string().nullable(),
          rounds: z.number().int(),
          warned: z.array(z.string()),
        }),
      ),
    })
    .describe("maestro's negotiation report for the cell, seen from this principal"),
});
export type IntentReport = z.infer<typeof intentReportSchema>;
