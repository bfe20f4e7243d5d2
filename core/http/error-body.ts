/** The JSON body every maestro HTTP service (the API, the emulated RAN) answers a schema violation with. */
import type { z } from 'zod';

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
