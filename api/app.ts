/** The express application: routes, OpenAPI document, health, and the one error handler. */
import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { MaestroConfig } from '../core/config.ts';
import { badRequest, errorHandler, HttpError } from './errors.ts';
import { healthReport } from './health.ts';
import { negotiationOperations } from './negotiations/routes.ts';
import { NegotiationService } from './negotiations/service.ts';
import { buildOpenApiDocument, systemContracts } from './openapi.ts';
import { mountOperations, type Operation } from './contract.ts';
import { authenticate } from './auth.ts';
import { intentOperations } from './intents/routes.ts';
import { IntentService } from './intents/service.ts';
import { sixgOperations } from './sixg/routes.ts';
import { SixgService } from './sixg/service.ts';
import type { TenantDirectory } from '../core/tenants/tenants.ts';
import type { RanCell } from '../core/network/contracts.ts';
import type { CellSessionPolicy } from '../workflows/cell-session/triggers.ts';
import type { CellSessionInput } from '../workflows/cell-session/types.ts';

export interface AppDependencies {
  tenants: TenantDirectory;
  cells: Map<string, RanCell>;
  /** Overrides of the cell sessions' policy (tests shorten the hysteresis). */
  cellSessionPolicy?: Partial<CellSessionPolicy>;
  /** How long POST /v1/sixg/orchestrations waits for the answer before a 202 (default 3 minutes). */
  sixgOrchestrationWaitMs?: number;
  /** How long a query or update waits for a worker before a 503 (default 10 s; api/worker-call.ts). */
  workerAnswerMs?: number;
  /** Cell sessions check each plan on the twin worker of this queue before enforcing it; absent: no check. */
  twinCheck?: CellSessionInput['twinCheck'];
}

export function createApp(client: Client, config: MaestroConfig, deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Intent patches are JSON merge patches (RFC 7386), sent as application/merge-patch+json.
  const jsonTypes = ['application/json', 'application/merge-patch+json'];
  app.use((req, _res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(jsonTypes)) {
      const sent = req.headers['content-type'] ?? 'no content type';
      next(
        new HttpError(415, 'unsupported_media_type', `the body must be JSON (${jsonTypes.join(' or ')}), not ${sent}`),
      );
      return;
    }
    next();
  });
  app.use(express.json({ limit: '100kb', type: jsonTypes }));
  app.use((req, _res, next) => {
    // A lone UTF-16 surrogate (JSON "\ud800") cannot be encoded as UTF-8: in a prompt it made the
    // model server answer 500 to every call. Refused here, before anything stores or forwards it.
    const where = illFormedString(req.body);
    next(where === null ? undefined : badRequest(`${where}: text with a lone UTF-16 surrogate cannot be encoded`));
  });
  const openApi = buildOpenApiDocument();
  const intents = new IntentService(client, config, deps.cells, {
    ...(deps.cellSessionPolicy ? { policy: deps.cellSessionPolicy } : {}),
    ...(deps.workerAnswerMs !== undefined ? { workerAnswerMs: deps.workerAnswerMs } : {}),
    ...(deps.twinCheck ? { twinCheck: deps.twinCheck } : {}),
  });
  const system: Operation[] = [
    {
      contract: systemContracts.health,
      handle: async (_req, res) => {
        const report = await healthReport(client, config);
        res.status(report.status === 'ok' ? 200 : 503).json(report);
      },
    },
    { contract: systemContracts.openApi, handle: (_req, res) => void res.json(openApi) },
  ];
  mountOperations(app, system);
  app.use('/v1', authenticate(deps.tenants));
  mountOperations(app, [
    ...negotiationOperations(new NegotiationService(client, config, deps.workerAnswerMs)),
    ...intentOperations(intents),
    ...sixgOperations(new SixgService(client, config, deps.sixgOrchestrationWaitMs)),
  ]);
  app.use((req, res, next) => {
    // A path the API has, with a method it does not: 405 and the methods it does take (RFC 9110 §15.5.6).
    const allowed = methodsOf(openApi, req.path);
    if (allowed.length > 0) {
      res.setHeader('Allow', allowed.join(', '));
      next(
        new HttpError(
          405,
          'method_not_allowed',
          `${req.method} is not allowed on ${req.path}; use ${allowed.join(', ')}`,
        ),
      );
      return;
    }
    next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`));
  });
  app.use(errorHandler);
  return app;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']);

/** The methods the OpenAPI document declares for a concrete path (`{param}` segments match any one segment). */
export function methodsOf(document: { paths?: Record<string, object> }, path: string): string[] {
  const segments = path.split('/');
  for (const [template, operations] of Object.entries(document.paths ?? {})) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    if (parts.every((part, i) => part === segments[i] || (part.startsWith('{') && segments[i] !== ''))) {
      const methods = Object.keys(operations)
        .filter((key) => HTTP_METHODS.has(key))
        .map((m) => m.toUpperCase());
      return methods.includes('GET') ? [...methods, 'HEAD'] : methods;
    }
  }
  return [];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (or key) in `value` that is not well-formed UTF-16, or null; no recursion. */
export function illFormedString(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, 'body']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return path;
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (LONE_SURROGATE.test(key)) return `${path} (a key)`;
        stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return null;
}
