/** Request and response schemas of /v1/sixg/orchestrations: validation, types and the OpenAPI document. */
import { z } from 'zod';
import {
  orchestrateTaskResultSchema,
  orchestrationAttemptsSchema,
  orchestrationCandidatesSchema,
  orchestrationRefineMovesSchema,
  sixgQosSchema,
} from '../../core/training/contracts.ts';
import { scenarioConfigSchema } from '../../core/twin/orchestration.ts';

export { sixgQosSchema };

export const orchestrationRequestSchema = z.strictObject({
  description: z.string().trim().min(1).max(500).describe('what the upper layer needs the link for, in words'),
  qos: sixgQosSchema,
  scenario: scenarioConfigSchema.describe('the radio conditions the link must work in'),
  model: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'not a model id')
    .optional()
    .describe('a model the model server serves; absent: sixg-llm when served, else the base SmolLM2'),
  attempts: orchestrationAttemptsSchema.default(3),
  candidates: orchestrationCandidatesSchema.optional(),
  refineMoves: orchestrationRefineMovesSchema.optional(),
});
export type OrchestrationRequest = z.output<typeof orchestrationRequestSchema>;

/** The learner's answer (core/training/contracts.ts), with the workflow that gave it. */
export const orchestrationResponseSchema = orchestrateTaskResultSchema.extend({
  workflowId: z.string().describe('the sixgOrchestrationWorkflow that answered (Temporal UI)'),
});

export const orchestrationPendingSchema = z.object({
  workflowId: z.string(),
  status: z.literal('running'),
  message: z.string(),
});
