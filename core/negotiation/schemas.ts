/**
 * The negotiation's data at every boundary (HTTP API, workflow input, LLM answers), as zod
 * schemas. Types are inferred from them so validation and types cannot drift apart.
 */
import { z } from 'zod';

export const personalities = ['normal', 'agreeable', 'disagreeable', 'vulnerable', 'toxic'] as const;
export const objectives = ['cost', 'qos'] as const;
export const optimizerModes = ['off', 'soft', 'hard'] as const;
export const negotiationStatuses = ['running', 'consensus', 'no_consensus', 'cancelled', 'failed'] as const;

export const personalitySchema = z.enum(personalities);
export const objectiveSchema = z.enum(objectives);
export const optimizerModeSchema = z.enum(optimizerModes);
export const negotiationStatusSchema = z.enum(negotiationStatuses);

export const partyIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/,
    'a party id is 1-40 letters, digits, _ or -, starting with a letter or digit',
  );

export const topicSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(120),
    unit: z.string().trim().min(1).max(20),
    min: z.number().finite(),
    max: z.number().finite(),
  })
  .refine((t) => t.min < t.max, { message: 'topic.min must be below topic.max', path: ['max'] });

export const partySchema = z.strictObject({
  id: partyIdSchema,
  objective: objectiveSchema,
  target: z.number().finite(),
  weight: z.number().finite().positive().max(1000).default(1),
  personality: personalitySchema.default('normal'),
  /** The party's business intent in its own words (optional; goes into its own prompt only). */
  businessIntent: z.string().trim().max(400).optional(),
});

export const negotiationRequestSchema = z
  .strictObject({
    topic: topicSchema,
    parties: z.array(partySchema).min(2).max(20),
    maxRounds: z.number().int().min(1).max(20).default(5),
    /** ε: consensus when max(values) − min(values) ≤ tolerance, in the topic's unit. */
    tolerance: z.number().finite().positive().default(1),
    optimizerMode: optimizerModeSchema.default('soft'),
    cellId: z.string().trim().min(1).max(64).optional(),
  })
  .superRefine((req, ctx) => {
    const seen = new Set<string>();
    req.parties.forEach((p, i) => {
      if (seen.has(p.id))
        ctx.addIssue({ code: 'custom', message: `duplicate party id ${p.id}`, path: ['parties', i, 'id'] });
      seen.add(p.id);
      if (p.target < req.topic.min || p.target > req.topic.max) {
        ctx.addIssue({
          code: 'custom',
          message: `target ${p.target} lies outside the topic's range [${req.topic.min}, ${req.topic.max}]`,
          path: ['parties', i, 'target'],
        });
      }
    });
    if (req.tolerance >= req.topic.max - req.topic.min) {
      ctx.addIssue({ code: 'custom', message: 'tolerance must be smaller than the topic range', path: ['tolerance'] });
    }
  });

export type Personality = z.infer<typeof personalitySchema>;
export type Objective = z.infer<typeof objectiveSchema>;
export type OptimizerMode = z.infer<typeof optimizerModeSchema>;
export type NegotiationStatus = z.infer<typeof negotiationStatusSchema>;
export type Topic = z.infer<typeof topicSchema>;
export type Party = z.infer<typeof partySchema>;
export type NegotiationRequest = z.infer<typeof negotiationRequestSchema>;

/** The service intent every agent answers with (paper Section III): a value and its reasoning. */
export const serviceIntentSchema = z.strictObject({
  value: z.number().finite(),
  reasoning: z.string().trim().min(1).max(600),
});
export type ServiceIntent = z.infer<typeof serviceIntentSchema>;

/** The JSON Schema the model's decoding is constrained to (a looser twin of the zod schema). */
export const serviceIntentJsonSchema = {
  type: 'object',
  properties: {
    value: { type: 'number' },
    reasoning: { type: 'string', maxLength: 240 },
  },
  required: ['value', 'reasoning'],
  additionalProperties: false,
} as const;

export const changeTargetSchema = z.strictObject({ target: z.number().finite() });
