/** HTTP routes of /v1/sixg: asking the served 6G-LLM for an orchestration (the operator's, or the network plane's). */
import { Router } from 'express';
import { requireOperator } from '../auth.ts';
import { orchestrationRequestSchema } from './schemas.ts';
import type { SixgService } from './service.ts';

export function sixgRoutes(service: SixgService): Router {
  const router = Router();

  router.post('/orchestrations', async (req, res) => {
    requireOperator(res);
    const request = orchestrationRequestSchema.parse(req.body);
    const outcome = await service.orchestrate(request);
    if (outcome.done) {
      res.json({ workflowId: outcome.workflowId, ...outcome.result });
      return;
    }
    res.status(202).json({
      workflowId: outcome.workflowId,
      status: 'running',
      message: 'no answer yet: the workflow goes on; look it up by its id in the Temporal UI',
    });
  });

  return router;
}
