/** OpenAPI paths of /v1/sixg (the served 6G-LLM), from the schemas the route validates with. */
import type { z } from 'zod';
import { orchestrationPendingSchema, orchestrationRequestSchema, orchestrationResponseSchema } from './schemas.ts';

type JsonBody = (s: z.ZodType, io?: 'input' | 'output') => Record<string, unknown>;
type ErrorBody = (description: string) => Record<string, unknown>;

export function sixgPaths(json: JsonBody, error: ErrorBody): Record<string, unknown> {
  return {
    '/v1/sixg/orchestrations': {
      post: {
        summary: 'Ask the served 6G-LLM for an orchestration of a task (the operator, or the network plane)',
        description:
          'Runs a sixgOrchestrationWorkflow: the promoted model (sixg-llm, else the base SmolLM2) is asked for a link configuration in the task’s scenario, up to `attempts` times until the answer is valid; the valid plan is run on the digital twin at system level. Waits up to 3 minutes for the answer, then answers 202 with the workflow id.',
        requestBody: { required: true, content: json(orchestrationRequestSchema, 'input') },
        responses: {
          '200': {
            description: 'the attempts, the plan (null when none was valid) and the twin’s verdict',
            content: json(orchestrationResponseSchema),
          },
          '202': { description: 'still running after the wait', content: json(orchestrationPendingSchema) },
          '400': error('invalid request (zod issues listed)'),
          '401': error('no or unknown API key'),
          '403': error('not the operator'),
          '422': error('the learner rejected the task'),
          '502': error('the orchestration failed (model server, twin, or no learner serving the sixg queue)'),
        },
      },
    },
  };
}
