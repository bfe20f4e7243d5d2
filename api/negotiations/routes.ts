/** The handlers of /v1/negotiations (declared in contract.ts); validated input goes to the service. */
import type { Operation } from '../contract.ts';
import { forbidden, principalOf, requireOperator, type Principal } from '../auth.ts';
import { notFound } from '../errors.ts';
import { negotiationContracts as c } from './contract.ts';
import { redactForParty } from './redact.ts';
import {
  idempotencyKeySchema,
  listQuerySchema,
  negotiationIdSchema,
  negotiationRequestBodySchema,
  networkStateSchema,
  partyParamsSchema,
  targetChangeBodySchema,
  targetChangeParamsSchema,
  withdrawalSchema,
} from './schemas.ts';
import type { NegotiationService } from './service.ts';

const parseId = (raw: unknown): string => {
  const parsed = negotiationIdSchema.safeParse(raw);
  if (!parsed.success) throw notFound(`negotiation ${String(raw)}`);
  return parsed.data;
};

/** A BO may act for its own party only (its target, its withdrawal); the operator for any. */
function requireOperatorOrParty(principal: Principal, partyId: string): void {
  if (principal.role !== 'operator' && principal.id !== partyId) {
    throw forbidden(`tenant ${principal.id} may not act for party ${partyId}`);
  }
}

export function negotiationOperations(service: NegotiationService): Operation[] {
  return [
    {
      contract: c.start,
      handle: async (req, res) => {
        requireOperator(res);
        // A target outside the topic's range is a business intent: negotiated at the nearest bound, and said so.
        const body = negotiationRequestBodySchema.parse(req.body);
        const key = req.header('Idempotency-Key');
        const { id, created } = await service.start(
          body,
          key === undefined ? undefined : idempotencyKeySchema.parse(key),
        );
        res
          .status(created ? 201 : 200)
          .location(`/v1/negotiations/${id}`)
          .json({ id });
      },
    },
    {
      contract: c.list,
      handle: async (req, res) => {
        const principal = principalOf(res);
        const { status, limit } = listQuerySchema.parse(req.query);
        const partyId = principal.role === 'operator' ? undefined : principal.id;
        res.json({ negotiations: await service.list(status, limit, partyId) });
      },
    },
    {
      contract: c.get,
      handle: async (req, res) => {
        const principal = principalOf(res);
        const id = parseId(req.params.id);
        const state = await service.get(id);
        if (principal.role === 'operator') {
          res.json(state);
          return;
        }
        // Not a party: the same 404 as an unknown id, so a BO cannot probe which negotiations exist.
        if (!state.request.parties.some((p) => p.id === principal.id)) throw notFound(`negotiation ${id}`);
        res.json(redactForParty(state, principal.id));
      },
    },
    {
      contract: c.cancel,
      handle: async (req, res) => {
        requireOperator(res);
        const id = parseId(req.params.id);
        await service.cancel(id);
        res.status(202).json({ id, status: 'cancelling' });
      },
    },
    {
      contract: c.changeTarget,
      handle: async (req, res) => {
        const parsedParams = targetChangeParamsSchema.safeParse(req.params);
        if (!parsedParams.success)
          throw notFound(`negotiation party ${String(req.params.id)}/${String(req.params.partyId)}`);
        const { target } = targetChangeBodySchema.parse(req.body);
        const { id, partyId } = parsedParams.data;
        requireOperatorOrParty(principalOf(res), partyId);
        const change = await service.changeTarget(id, partyId, target);
        res.json({ id, partyId, ...change });
      },
    },
    {
      contract: c.reportNetwork,
      handle: async (req, res) => {
        requireOperator(res);
        const id = parseId(req.params.id);
        const state = networkStateSchema.parse(req.body);
        await service.reportNetworkState(id, state);
        res.status(202).json({ id, accepted: true });
      },
    },
    {
      contract: c.withdraw,
      handle: async (req, res) => {
        const parsedParams = partyParamsSchema.safeParse(req.params);
        if (!parsedParams.success)
          throw notFound(`negotiation party ${String(req.params.id)}/${String(req.params.partyId)}`);
        const { reason } = withdrawalSchema.parse(req.body ?? {});
        const { id, partyId } = parsedParams.data;
        requireOperatorOrParty(principalOf(res), partyId);
        await service.withdrawParty(id, partyId, reason);
        res.status(202).json({ id, accepted: true });
      },
    },
  ];
}
