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

const parseId = (raw: string): string => {
  const parsed = negotiationIdSchema.safeParse(raw);
  if (!parsed.success) throw notFound(`negotiation ${raw}`);
  return parsed.data;
};

export function negotiationRoutes(service: NegotiationService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
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
    const { status, limit } = listQuerySchema.parse(req.query);
    res.json({ negotiations: await service.list(status, limit) });
  });

  router.get('/:id', async (req, res) => {
    res.json(await service.get(parseId(req.params.id)));
  });

  router.post('/:id/cancel', async (req, res) => {
    const id = parseId(req.params.id);
    await service.cancel(id);
    res.status(202).json({ id, status: 'cancelling' });
  });

  router.post('/:id/parties/:partyId/target', async (req, res) => {
    const parsedParams = targetChangeParamsSchema.safeParse(req.params);
    if (!parsedParams.success) throw notFound(`negotiation party ${req.params.id}/${req.params.partyId}`);
    const { target } = targetChangeBodySchema.parse(req.body);
    const { id, partyId } = parsedParams.data;
    const { appliesFromRound } = await service.changeTarget(id, partyId, target);
    res.json({ id, partyId, target, appliesFromRound });
  });

  router.post('/:id/network', async (req, res) => {
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
    await service.withdrawParty(id, partyId, reason);
    res.status(202).json({ id, accepted: true });
  });

  return router;
}
