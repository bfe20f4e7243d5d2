/** Request and response schemas of /v1/negotiations: validation, types and the OpenAPI document. */
import { z } from 'zod';
import {
  cappedDemandSchema,
  changeTargetSchema,
  negotiationRequestBodySchema,
  negotiationRequestSchema,
  negotiationStatusSchema,
  networkStateSchema,
  objectiveSchema,
  optimizerModeSchema,
  partyIdSchema,
  personalitySchema,
  topicSchema,
  withdrawalSchema,
} from '../../core/negotiation/schemas.ts';
import { incentiveSchema, negotiationStateSchema, roundDecisionSchema } from '../../core/negotiation/types.ts';

export { negotiationRequestBodySchema, negotiationRequestSchema, networkStateSchema, withdrawalSchema };

/** A negotiation the API started (`negotiation-…`) or one a cell session started (`cell-session-<cell>-n<k>`). */
export const negotiationIdSchema = z
  .string()
  .regex(/^(negotiation-[A-Za-z0-9-]{1,80}|cell-session-[A-Za-z0-9._-]{1,64}-n[0-9]{1,9})$/, 'not a negotiation id');

export const idempotencyKeySchema = z.string().trim().min(1).max(200);

export const createdSchema = z.object({ id: negotiationIdSchema });

/** An operator's view of a negotiation: the workflow's state as it is (core/negotiation/types.ts). */
export const negotiationViewSchema = negotiationStateSchema;

/**
 * What a BO tenant sees of a negotiation it takes part in (redact.ts): the public outcome and its
 * own messages, nothing computed from the others' private utilities.
 */
export const tenantNegotiationViewSchema = z.strictObject({
  id: z.string(),
  status: negotiationStatusSchema,
  reason: z.string().optional(),
  currentRound: z.number().int(),
  topic: topicSchema,
  maxRounds: z.number().int(),
  cellId: z.string().optional(),
  parties: z
    .array(z.strictObject({ id: z.string(), objective: objectiveSchema }))
    .describe('the other parties by id and objective only, as each agent’s own prompt names them'),
  you: z.strictObject({
    id: z.string(),
    objective: objectiveSchema,
    target: z.number(),
    weight: z.number(),
    personality: personalitySchema,
    active: z.boolean(),
    capped: cappedDemandSchema
      .optional()
      .describe('your demand lay outside the topic’s range: negotiated at the nearest bound'),
  }),
  consensus: negotiationStateSchema.shape.consensus,
  rounds: z.array(
    z.strictObject({
      round: z.number().int(),
      decision: roundDecisionSchema,
      yourValue: z.number().nullable(),
      yourReasoning: z.string().nullable(),
      mediatorProposal: z.number().describe('MAESTRO’s proposal: public, the direction it announces to every party'),
      bounds: z.strictObject({ min: z.number(), max: z.number() }).optional(),
      incentives: z
        .array(z.strictObject({ action: incentiveSchema.shape.action, offences: z.number().int(), reason: z.string() }))
        .describe('arbitral incentives addressed to you'),
    }),
  ),
});

export const listQuerySchema = z.strictObject({
  status: negotiationStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const listItemSchema = z.object({
  id: z.string(),
  status: negotiationStatusSchema.or(z.literal('unknown')),
  workflowStatus: z.string(),
  startTime: z.string(),
  closeTime: z.string().nullable(),
  partyCount: z.number().int().nullable(),
  optimizerMode: optimizerModeSchema.nullable(),
  cellId: z.string().nullable(),
});
export const listResponseSchema = z.object({ negotiations: z.array(listItemSchema) });

export const targetChangeParamsSchema = z.object({ id: negotiationIdSchema, partyId: partyIdSchema });
export const targetChangeBodySchema = changeTargetSchema;
export const targetChangeResponseSchema = z.object({
  id: z.string(),
  partyId: z.string(),
  target: z.number().describe('the target negotiated from now on (the request, capped to the topic’s range)'),
  appliesFromRound: z.number().int(),
  capped: cappedDemandSchema
    .optional()
    .describe('present when the requested target lay outside the topic’s range and was capped'),
});

export const partyParamsSchema = targetChangeParamsSchema;
export const signalAcceptedSchema = z.object({ id: z.string(), accepted: z.literal(true) });
export const cancelAcceptedSchema = z.object({ id: z.string(), status: z.literal('cancelling') });

export type TenantNegotiationView = z.infer<typeof tenantNegotiationViewSchema>;
export type ListItem = z.infer<typeof listItemSchema>;
