/** The operation of /v1/sixg: asking the served 6G-LLM for an orchestration (api/contract.ts). */
import { errorResponse, type OperationContract } from '../contract.ts';
import { orchestrationPendingSchema, orchestrationRequestSchema, orchestrationResponseSchema } from './schemas.ts';

export const sixgContracts = {
  orchestrate: {
    method: 'post',
    path: '/v1/sixg/orchestrations',
    summary: 'Ask the served 6G-LLM for an orchestration of a task (the operator, or the network plane)',
    description:
      'Runs a sixgOrchestrationWorkflow: the promoted model (sixg-llm, else the base SmolLM2) is asked for a link configuration in the task’s scenario (invalid answers retried up to `attempts` times in a row); each valid plan is run on the digital twin at system level, up to `candidates` plans (first greedy, then sampled), and the first that meets the QoS is the answer, else the best-scoring one. A plan that meets the QoS is then trimmed on the twin by up to `refineMoves` moves (default 8, in practice it stops at a local optimum after about 2; each must still meet the QoS 1 dB below the SNR); `refined` keeps the model’s own plan and score. Waits up to 3 minutes for the answer, then answers 202 with the workflow id.',
    access: 'operator',
    body: { schema: orchestrationRequestSchema },
    responses: {
      200: {
        description: 'the attempts, the plan (null when none was valid) and the twin’s verdict',
        schema: orchestrationResponseSchema,
      },
      202: { description: 'still running after the wait', schema: orchestrationPendingSchema },
      400: errorResponse('invalid request (zod issues listed)'),
      422: errorResponse('the learner rejected the task'),
      502: errorResponse('the orchestration failed (model server, twin, or no learner serving the sixg queue)'),
    },
  },
} satisfies Record<string, OperationContract>;
