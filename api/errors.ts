/** Typed errors thrown by services and mapped to HTTP once, in `errorHandler`. */
import { clientErrorStatus, zodErrorBody } from '../core/http/error-body.ts';
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);
export const conflict = (message: string): HttpError => new HttpError(409, 'conflict', message);
export const badRequest = (message: string, details?: unknown): HttpError =>
  new HttpError(400, 'invalid_request', message, details);

export const errorBodySchema = z.object({
  error: z.string().describe('machine-readable code'),
  message: z.string(),
  issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
});

export const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  if (err instanceof z.ZodError) {
    res.status(400).json(zodErrorBody(err));
    return;
  }
  if (err instanceof HttpError) {
    res
      .status(err.status)
      .json({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    return;
  }
  const status = clientErrorStatus(err);
  if (status !== null) {
    res.status(status).json({ error: 'invalid_request', message: (err as Error).message });
    return;
  }
  console.error('[api] unexpected error', err);
  res.status(500).json({ error: 'internal', message: 'internal error' });
};
