/** Request and response schemas of /v1/negotiations: validation, types and the OpenAPI document. */
import { z } from 'zod';
import {
  negotiationRequestSchema,
  negotiationStatusSchema,
  networkStateSchema,
  optimizerModeSchema,
  partyIdSchema,
  withdrawalSchema,
} from '../../core/negotiation/schemas.ts';

export { negotiationRequestSchema, networkStateSchema, withdrawalSchema };

/** A negotiation the API started (`negotiation-…`) or one a cell session started (`cell-session-<cell>-n<k>`). */
export const negotiationIdSchema = z
  .string()
  .regex(/^(negotiation-[A-Za-z0-9-]{1,80}|cell-session-[A-Za-z0-9._-]{1,64}-n[0-9]{1,9})$/, 'not a negotiation id');

export const idempotencyKeySchema = z.string().trim().min(1).max(200);

export const createdSchema = z.object({ id: negotiationIdSchema });

const warningSchema = z.object({ agent: z.string(), unit: z.string(), code: z.string(), message: z.string() });

export const roundViewSchema = z.object({
  round: z.number().int(),
  values: z.record(z.string(), z.number()).describe('each party’s service-intent value this round'),
  reasoning: z.record(z.string(), z.string()),
  decision: z.enum(['consensus', 'continue', 'no_consensus', 'halted']),
  spread: z.number(),
  mediator: z.object({ proposal: z.number(), message: z.string(), optimizerProposal: z.number() }),
  warnings: z.array(warningSchema),
  llm: z.object({ calls: z.number(), attempts: z.number(), latencyMs: z.number() }),
  targetChanges: z.array(z.object({ partyId: z.string(), target: z.number() })),
  bounds: z.object({ min: z.number(), max: z.number() }).optional().describe('topic bounds this round ran under'),
  network: networkStateSchema.nullable().optional(),
  arbitration: z
    .object({
      flags: z.array(
        z.object({
          partyId: z.string(),
          score: z.number(),
          reasons: z.array(z.string()),
          decidedBy: z.enum(['classifier', 'judge', 'classifier+judge']),
        }),
      ),
      incentives: z.array(
        z.object({
          partyId: z.string(),
          action: z.enum(['warning', 'penalty', 'exclusion']),
          offences: z.number().int(),
          weightFactor: z.number(),
          reason: z.string(),
        }),
      ),
    })
    .optional()
    .describe('what the arbitral unit flagged this round and the incentives MAESTRO applied'),
  grounding: z
    .array(
      z.object({
        unit: z.enum(['arbitral', 'regulatory', 'observability']),
        notes: z.array(z.string()),
        citations: z.array(z.object({ claim: z.string(), source: z.string(), score: z.number().optional() })),
      }),
    )
    .optional()
    .describe('regulatory constraints (with the passages they were read from) and network state behind MAESTRO’s turn'),
});

export const negotiationViewSchema = z.object({
  id: negotiationIdSchema,
  status: negotiationStatusSchema,
  currentRound: z.number().int(),
  rounds: z.array(roundViewSchema),
  consensus: z.object({ value: z.number(), round: z.number().int() }).nullable(),
  optimum: z.object({ value: z.number() }).describe('theoretical optimum Σ w_i t_i / Σ w_i clipped to the topic range'),
  lastValues: z.record(z.string(), z.number()),
  reason: z.string().optional(),
  request: negotiationRequestSchema,
  network: networkStateSchema.nullable().optional(),
  activeParties: z.array(z.string()).optional(),
  offences: z.record(z.string(), z.number()).optional(),
  adaptations: z
    .array(
      z.object({ round: z.number().int(), kind: z.enum(['bounds', 'withdrawal', 'exclusion']), message: z.string() }),
    )
    .optional(),
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
export const targetChangeBodySchema = z.strictObject({ target: z.number().finite() });
export const targetChangeResponseSchema = z.object({
  id: z.string(),
  partyId: z.string(),
  target: z.number(),
  appliesFromRound: z.number().int(),
});

export const partyParamsSchema = targetChangeParamsSchema;
export const signalAcceptedSchema = z.object({ id: z.string(), accepted: z.literal(true) });

export type NegotiationView = z.infer<typeof negotiationViewSchema>;
export type ListItem = z.infer<typeof listItemSchema>;
