/** The handler of /v1/sixg/orchestrations (declared in contract.ts). */
import { requireOperator } from '../auth.ts';
import type { Operation } from '../contract.ts';
import { sixgContracts as c } from './contract.ts';
import { orchestrationRequestSchema } from './schemas.ts';
import type { SixgService } from './service.ts';

export function sixgOperations(service: SixgService): Operation[] {
  return [
    {
      contract: c.orchestrate,
      handle: async (req, res) => {
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
      },
    },
  ];
}
