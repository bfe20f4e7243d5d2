/** The JSON body every maestro HTTP service (the API, the emulated RAN) answers a schema violation with. */
import type { ErrorRequestHandler } from 'express';
import { ZodError, type z } from 'zod';

export function zodErrorBody(err: z.ZodError) {
  return {
    error: 'invalid_request',
    message: 'the request does not match the schema',
    issues: err.issues.map((i) => ({
      path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      message: i.message,
    })),
  };
}

/** express.json() reports a malformed body as an error carrying a 4xx status; null when it is not one. */
export function clientErrorStatus(err: unknown): number | null {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

/** A service's own errors, as a status and a JSON body; null for errors it does not know. */
export type KnownErrorMapper = (err: unknown) => { status: number; body: Record<string, unknown> } | null;

/**
 * The one express error handler of maestro's HTTP services: schema violations → 400 with the zod
 * issues, the service's own errors as it maps them, malformed bodies → their 4xx, the rest → 500
 * (logged under `service`, never shown to the caller).
 */
export function jsonErrorHandler(service: string, known: KnownErrorMapper): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof ZodError) {
      res.status(400).json(zodErrorBody(err));
      return;
    }
    const mapped = known(err);
    if (mapped !== null) {
      res.status(mapped.status).json(mapped.body);
      return;
    }
    const status = clientErrorStatus(err);
    if (status !== null) {
      res.status(status).json({ error: 'invalid_request', message: (err as Error).message });
      return;
    }
    console.error(`[${service}] unexpected error`, err);
    res.status(500).json({ error: 'internal', message: 'internal error' });
  };
}
