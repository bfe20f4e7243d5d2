/** The express application: routes, OpenAPI document, health, and the one error handler. */
import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { MaestroConfig } from '../core/config.ts';
import { errorHandler, HttpError } from './errors.ts';
import { healthReport } from './health.ts';
import { negotiationRoutes } from './negotiations/routes.ts';
import { NegotiationService } from './negotiations/service.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { authenticate } from './auth.ts';
import { cellRoutes, intentRoutes } from './intents/routes.ts';
import { IntentService } from './intents/service.ts';
import { sixgRoutes } from './sixg/routes.ts';
import { SixgService } from './sixg/service.ts';
import type { TenantDirectory } from '../core/tenants/tenants.ts';
import type { RanCell } from '../core/network/contracts.ts';
import type { CellSessionPolicy } from '../workflows/cell-session/triggers.ts';

export interface AppDependencies {
  tenants: TenantDirectory;
  cells: Map<string, RanCell>;
  /** Overrides of the cell sessions' policy (tests shorten the hysteresis). */
  cellSessionPolicy?: Partial<CellSessionPolicy>;
  /** How long POST /v1/sixg/orchestrations waits for the answer before a 202 (default 3 minutes). */
  sixgOrchestrationWaitMs?: number;
}

export function createApp(client: Client, config: MaestroConfig, deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Intent patches are JSON merge patches (RFC 7386), sent as application/merge-patch+json.
  app.use(express.json({ limit: '100kb', type: ['application/json', 'application/merge-patch+json'] }));
  const openApi = buildOpenApiDocument();

  app.get('/healthz', async (_req, res) => {
    const report = await healthReport(client, config);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use('/v1', authenticate(deps.tenants));
  app.use('/v1/negotiations', negotiationRoutes(new NegotiationService(client, config)));
  const intents = new IntentService(client, config, deps.cells, deps.cellSessionPolicy);
  app.use('/v1/intents', intentRoutes(intents));
  app.use('/v1/cells', cellRoutes(intents));
  app.use('/v1/sixg', sixgRoutes(new SixgService(client, config, deps.sixgOrchestrationWaitMs)));
  app.use((req, _res, next) => {
    next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`));
  });
  app.use(errorHandler);
  return app;
}
