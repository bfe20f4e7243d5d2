/**
 * The emulated RAN's HTTP face: what the slice operator's activities talk to (activities/network/
 * ran-client.ts, a1-client.ts). Cells and their network intents under /cells; SLA policies on the
 * standard O-RAN A1AP v2 paths (a1-routes.ts, errors there as RFC 7807 problem details). Bodies
 * are validated with the zod contracts; other errors answer { error, message, issues? }.
 */
import { jsonErrorHandler } from '../core/http/error-body.ts';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request } from 'express';
import { z } from 'zod';
import { networkIntentSchema } from '../core/network/contracts.ts';
import { A1StatusNotifier, createA1Router } from './a1-routes.ts';
import { RanError, type EmulatedRan } from './ran.ts';

const powerBodySchema = z.strictObject({ on: z.boolean() });

export function createRanApp(ran: EmulatedRan): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  const param = (req: Request, name: string): string => String(req.params[name]);
  // A new network intent or power state can change whether a policy is enforced.
  const notifier = new A1StatusNotifier(ran);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', cells: ran.cellIds().length });
  });

  app.get('/cells', (_req, res) => {
    res.json(ran.cellIds().map((id) => ran.status(id)));
  });
  app.get('/cells/:cellId', (req, res) => {
    res.json(ran.status(param(req, 'cellId')));
  });
  app.put('/cells/:cellId/network-intent', async (req, res) => {
    const cellId = param(req, 'cellId');
    const intent = networkIntentSchema.parse(req.body);
    if (intent.cellId !== cellId) {
      throw new RanError(400, `the intent is for cell ${intent.cellId}, the path names ${cellId}`);
    }
    ran.enforce(intent);
    res.json(ran.status(cellId));
    await notifier.check();
  });
  app.put('/cells/:cellId/power', (req, res) => {
    const cellId = param(req, 'cellId');
    const { on } = powerBodySchema.parse(req.body);
    ran.setPowered(cellId, on);
    res.json(ran.status(cellId));
  });

  app.use(createA1Router(ran, notifier));

  app.use((req, _res, next) => {
    next(new RanError(404, `no route ${req.method} ${req.path}`));
  });
  app.use(errorHandler);
  return app;
}

const errorHandler = jsonErrorHandler('ran-emulator', (err) =>
  err instanceof RanError
    ? {
        status: err.status,
        body: { error: err.status === 404 ? 'not_found' : 'invalid_request', message: err.message },
      }
    : null,
);

export interface RanServer {
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0: any free port; the URL says which). */
export async function startRanServer(opts: { ran: EmulatedRan; port: number; host?: string }): Promise<RanServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = createRanApp(opts.ran);
  const server = await new Promise<ReturnType<Express['listen']>>((resolve, reject) => {
    const s = app.listen(opts.port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
