/** The handlers of /v1/intents and /v1/cells (declared in contract.ts). */
import { approvalDecisionSchema, approvalPolicySchema } from '../../core/intents/approval.ts';
import { intentBodySchema } from '../../core/intents/schemas.ts';
import { principalOf, requireOperator } from '../auth.ts';
import type { Operation } from '../contract.ts';
import { notFound } from '../errors.ts';
import { intentContracts as c, intentCreateQuerySchema, intentListQuerySchema } from './contract.ts';
import { intentIdPattern, type IntentService } from './service.ts';

const parseIntentId = (raw: unknown): string => {
  if (typeof raw !== 'string' || !intentIdPattern.test(raw)) throw notFound(`intent ${String(raw)}`);
  return raw;
};

export function intentOperations(service: IntentService): Operation[] {
  return [
    {
      contract: c.create,
      handle: async (req, res) => {
        const { feasibilityCheck } = intentCreateQuerySchema.parse(req.query);
        const body = intentBodySchema.parse(req.body);
        if (feasibilityCheck === 'true') {
          res.json({ intentFeasibilityCheckReport: await service.checkFeasibility(principalOf(res), body) });
          return;
        }
        const created = await service.create(principalOf(res), body);
        res.status(201).location(created.href).json(created);
      },
    },
    {
      contract: c.list,
      handle: async (req, res) => {
        const { cellId } = intentListQuerySchema.parse(req.query);
        res.json({ intents: await service.list(principalOf(res), cellId) });
      },
    },
    {
      contract: c.get,
      handle: async (req, res) => {
        res.json(await service.get(principalOf(res), parseIntentId(req.params.id)));
      },
    },
    {
      contract: c.patch,
      handle: async (req, res) => {
        res.json(await service.patch(principalOf(res), parseIntentId(req.params.id), req.body));
      },
    },
    {
      contract: c.remove,
      handle: async (req, res) => {
        await service.remove(principalOf(res), parseIntentId(req.params.id));
        res.status(204).end();
      },
    },
    {
      contract: c.report,
      handle: async (req, res) => {
        res.json(await service.report(principalOf(res), parseIntentId(req.params.id)));
      },
    },
    {
      contract: c.cells,
      handle: (_req, res) => {
        principalOf(res);
        res.json({ cells: service.cellIds() });
      },
    },
    {
      contract: c.session,
      // The whole session state (every tenant's intent, votes, enforcement): the operator's view.
      handle: async (req, res) => {
        requireOperator(res);
        res.json(await service.session(String(req.params.cellId)));
      },
    },
    {
      contract: c.approval,
      handle: async (req, res) => {
        requireOperator(res);
        const decision = approvalDecisionSchema.parse(req.body);
        res.json(await service.decideConsensus(String(req.params.cellId), decision));
      },
    },
    {
      contract: c.approvalPolicy,
      handle: async (req, res) => {
        requireOperator(res);
        const rule = approvalPolicySchema.parse(req.body);
        res.json(await service.setApprovalPolicy(String(req.params.cellId), rule));
      },
    },
  ];
}
