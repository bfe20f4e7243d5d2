/** HTTP routes of /v1/negotiations; validated input goes to the service, its errors to the error handler. */
import { Router } from 'express';
import {
  idempotencyKeySchema,
  listQuerySchema,
  negotiationIdSchema,
  negotiationRequestSchema,
  networkStateSchema,
  partyParamsSchema,
  targetChangeBodySchema,
  targetChangeParamsSchema,
  withdrawalSchema,
} from './schemas.ts';
import type { NegotiationService } from './service.ts';
import { notFound } from '../errors.ts';
import { forbidden, principalOf, requireOperator, type Principal } from '../auth.ts';
import { redactForParty } from './redact.ts';

const parseId = (raw: string): string => {
  const parsed = negotiationIdSchema.safeParse(raw);
  if (!parsed.success) throw notFound(`negotiation ${raw}`);
  return parsed.data;
};

/** A BO may act for its own party only (its target, its withdrawal); the operator for any. */
function requireOperatorOrParty(principal: Principal, partyId: string): void {
  if (principal.role !== 'operator' && principal.id !== partyId) {
    throw forbidden(`tenant ${principal.id} may not act for party ${partyId}`);
  }
}

export function negotiationRoutes(service: NegotiationService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    requireOperator(res);
    const request = negotiationRequestSchema.parse(req.body);
    const key = req.header('Idempotency-Key');
    const { id, created } = await service.start(
      request,
      key === undefined ? undefined : idempotencyKeySchema.parse(key),
    );
    res
      .status(created ? 201 : 200)
      .location(`/v1/negotiations/${id}`)
      .json({ id });
  });

  router.get('/', async (req, res) => {
    const principal = principalOf(res);
    const { status, limit } = listQuerySchema.parse(req.query);
    const partyId = principal.role === 'operator' ? undefined : principal.id;
    res.json({ negotiations: await service.list(status, limit, partyId) });
  });

  router.get('/:id', async (req, res) => {
    const principal = principalOf(res);
    const state = await service.get(parseId(req.params.id));
    if (principal.role === 'operator') {
      res.json(state);
      return;
    }
    if (!state.request.parties.some((p) => p.id === principal.id)) {
      throw forbidden(`tenant ${principal.id} is not a party of ${state.id}`);
    }
    res.json(redactForParty(state, principal.id));
  });

  router.post('/:id/cancel', async (req, res) => {
    requireOperator(res);
    const id = parseId(req.params.id);
    await service.cancel(id);
    res.status(202).json({ id, status: 'cancelling' });
  });

  router.post('/:id/parties/:partyId/target', async (req, res) => {
    const parsedParams = targetChangeParamsSchema.safeParse(req.params);
    if (!parsedParams.success) throw notFound(`negotiation party ${req.params.id}/${req.params.partyId}`);
    const { target } = targetChangeBodySchema.parse(req.body);
    const { id, partyId } = parsedParams.data;
    requireOperatorOrParty(principalOf(res), partyId);
    const { appliesFromRound } = await service.changeTarget(id, partyId, target);
    res.json({ id, partyId, target, appliesFromRound });
  });

  router.post('/:id/network', async (req, res) => {
    requireOperator(res);
    const id = parseId(req.params.id);
    const state = networkStateSchema.parse(req.body);
    await service.reportNetworkState(id, state);
    res.status(202).json({ id, accepted: true });
  });

  router.post('/:id/parties/:partyId/withdraw', async (req, res) => {
    const parsedParams = partyParamsSchema.safeParse(req.params);
    if (!parsedParams.success) throw notFound(`negotiation party ${req.params.id}/${req.params.partyId}`);
    const { reason } = withdrawalSchema.parse(req.body ?? {});
    const { id, partyId } = parsedParams.data;
    requireOperatorOrParty(principalOf(res), partyId);
    await service.withdrawParty(id, partyId, reason);
    res.status(202).json({ id, accepted: true });
  });

  return router;
}
