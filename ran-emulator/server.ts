/**
 * The emulated RAN's HTTP face: what the slice operator's activities talk to (activities/network/
 * ran-client.ts). Cells and their network intents under /cells; SLA policies on an A1-P-style path
 * (O-RAN A1AP: policy types, then policies of a type, PUT creates 201 or replaces 200). Bodies are
 * validated with the zod contracts; errors answer { error, message, issues? }.
 */
import { jsonErrorHandler } from '../core/http/error-body.ts';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request } from 'express';
import { z } from 'zod';
import { networkIntentSchema } from '../core/network/contracts.ts';
import { a1SliceSlaPolicyTypeId, a1SliceSlaPolicySchema } from './a1.ts';
import { RanError, type EmulatedRan } from './ran.ts';

const powerBodySchema = z.strictObject({ on: z.boolean() });

/** The JSON Schema A1-P serves for the policy type (policySchema of A1AP's PolicyTypeObject). */
const policyTypeObject = {
  policySchema: z.toJSONSchema(a1SliceSlaPolicySchema, { io: 'input', unrepresentable: 'any' }),
};

export function createRanApp(ran: EmulatedRan): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  const param = (req: Request, name: string): string => String(req.params[name]);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', cells: ran.cellIds().length });
  });

  app.get('/cells', (_req, res) => {
    res.json(ran.cellIds().map((id) => ran.status(id)));
  });
  app.get('/cells/:cellId', (req, res) => {
    res.json(ran.status(param(req, 'cellId')));
  });
  app.put('/cells/:cellId/network-intent', (req, res) => {
    const cellId = param(req, 'cellId');
    const intent = networkIntentSchema.parse(req.body);
    if (intent.cellId !== cellId) {
      throw new RanError(400, `the intent is for cell ${intent.cellId}, the path names ${cellId}`);
    }
    ran.enforce(intent);
    res.json(ran.status(cellId));
  });
  app.put('/cells/:cellId/power', (req, res) => {
    const cellId = param(req, 'cellId');
    const { on } = powerBodySchema.parse(req.body);
    ran.setPowered(cellId, on);
    res.json(ran.status(cellId));
  });

  const policyType = `/a1-p/policytypes/${a1SliceSlaPolicyTypeId}`;
  app.get('/a1-p/policytypes', (_req, res) => {
    res.json([a1SliceSlaPolicyTypeId]);
  });
  app.get(policyType, (_req, res) => {
    res.json(policyTypeObject);
  });
  app.get(`${policyType}/policies`, (_req, res) => {
    res.json(ran.a1PolicyIds());
  });
  app.put(`${policyType}/policies/:policyId`, (req, res) => {
    const policyId = param(req, 'policyId');
    const created = ran.putA1Policy(policyId, req.body);
    res.status(created ? 201 : 200).json(ran.getA1Policy(policyId));
  });
  app.get(`${policyType}/policies/:policyId`, (req, res) => {
    const policyId = param(req, 'policyId');
    const policy = ran.getA1Policy(policyId);
    if (!policy) throw new RanError(404, `no A1 policy ${policyId}`);
    res.json(policy);
  });
  app.delete(`${policyType}/policies/:policyId`, (req, res) => {
    const policyId = param(req, 'policyId');
    if (!ran.deleteA1Policy(policyId)) throw new RanError(404, `no A1 policy ${policyId}`);
    res.status(204).end();
  });

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
