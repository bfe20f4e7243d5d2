/** Request and response schemas of /v1/sixg/orchestrations: validation, types and the OpenAPI document. */
import { z } from 'zod';
import { orchestrationSchema, scenarioConfigSchema, twinResultSchema } from '../../core/twin/orchestration.ts';

/** The QoS a task needs (the paper's del, thr and BER targets), as the learner's `Qos` model checks it. */
export const sixgQosSchema = z.strictObject({
  max_delay_ms: z.number().positive().describe('maximum allowable delay, ms'),
  min_throughput_mbps: z.number().positive().describe('minimum required throughput (goodput), Mbps'),
  max_ber: z.number().gt(0).lt(1).describe('maximum tolerable bit error rate'),
});

export const orchestrationRequestSchema = z.strictObject({
  description: z.string().trim().min(1).max(500).describe('what the upper layer needs the link for, in words'),
  qos: sixgQosSchema,
  scenario: scenarioConfigSchema.describe('the radio conditions the link must work in'),
  model: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'not a model id')
    .optional()
    .describe('a model the model server serves; absent: sixg-llm when served, else the base SmolLM2'),
  attempts: z
    .number()
    .int()
    .min(1)
    .max(5)
    .default(3)
    .describe('model calls until a valid plan: the first greedy, the rest sampled'),
});
export type OrchestrationRequest = z.output<typeof orchestrationRequestSchema>;

export const orchestrationResponseSchema = z.object({
  workflowId: z.string().describe('the sixgOrchestrationWorkflow that answered (Temporal UI)'),
  model: z.string().describe('the model that answered'),
  attempts: z.array(z.object({ text: z.string(), valid: z.boolean(), reason: z.string().nullable() })),
  orchestration: orchestrationSchema.nullable().describe('the valid plan; null when no attempt gave one'),
  twin: twinResultSchema.nullable().describe('the twin’s system-level result for the plan'),
  achieved: z.object({ throughput_mbps: z.number(), latency_ms: z.number(), ber: z.number() }).nullable(),
  fulfilled: z.boolean().describe('the achieved QoS meets the needs'),
  score: z.number().nullable().describe('RLDTF eq. (2) score of the achieved QoS'),
  seconds: z.number(),
});

export const orchestrationPendingSchema = z.object({
  workflowId: z.string(),
  status: z.literal('running'),
  message: z.string(),
});
