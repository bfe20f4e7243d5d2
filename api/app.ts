/** The express application: routes, OpenAPI document, health, and the one error handler. */
import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { MaestroConfig } from '../core/config.ts';
import { errorHandler, HttpError } from './errors.ts';
import { healthReport } from './health.ts';
import { negotiationRoutes } from './negotiations/routes.ts';
import { NegotiationService } from './negotiations/service.ts';
import { buildOpenApiDocument } from './openapi.ts';

export function createApp(client: Client, config: MaestroConfig): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  const openApi = buildOpenApiDocument();

  app.get('/healthz', async (_req, res) => {
    const report = await healthReport(client, config);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use('/v1/negotiations', negotiationRoutes(new NegotiationService(client, config)));
  app.use((req, _res, next) => {
    next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`));
  });
  app.use(errorHandler);
  return app;
}
