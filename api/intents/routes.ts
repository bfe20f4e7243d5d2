/** HTTP routes of /v1/intents (TMF921-style CRUD over TS 28.312 intents) and /v1/cells. */
import { Router } from 'express';
import { z } from 'zod';
import { intentBodySchema } from '../../core/intents/schemas.ts';
import { principalOf, requireOperator } from '../auth.ts';
import { notFound } from '../errors.ts';
import { intentIdPattern, type IntentService } from './service.ts';

const parseIntentId = (raw: string): string => {
  if (!intentIdPattern.test(raw)) throw notFound(`intent ${raw}`);
  return raw;
};
const listQuerySchema = z.strictObject({ cellId: z.string().min(1).max(64).optional() });

export function intentRoutes(service: IntentService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const principal = principalOf(res);
    const body = intentBodySchema.parse(req.body);
    const created = await service.create(principal, body);
    res.status(201).location(created.href).json(created);
  });

  router.get('/', async (req, res) => {
    const { cellId } = listQuerySchema.parse(req.query);
    res.json({ intents: await service.list(principalOf(res), cellId) });
  });

  router.get('/:id', async (req, res) => {
    res.json(await service.get(principalOf(res), parseIntentId(req.params.id)));
  });

  router.patch('/:id', async (req, res) => {
    res.json(await service.patch(principalOf(res), parseIntentId(req.params.id), req.body));
  });

  router.delete('/:id', async (req, res) => {
    await service.remove(principalOf(res), parseIntentId(req.params.id));
    res.status(204).end();
  });

  router.get('/:id/report', async (req, res) => {
    res.json(await service.report(principalOf(res), parseIntentId(req.params.id)));
  });

  return router;
}

export function cellRoutes(service: IntentService): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    principalOf(res);
    res.json({ cells: service.cellIds() });
  });
  /** The whole session state (every tenant's intent, votes, enforcement): the operator's view. */
  router.get('/:cellId/session', async (req, res) => {
    requireOperator(res);
    res.json(await service.session(req.params.cellId));
  });
  return router;
}
