/** Typed errors thrown by services and mapped to HTTP once, in `errorHandler`. */
import { jsonErrorHandler } from '../core/http/error-body.ts';

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

export const errorHandler = jsonErrorHandler('api', (err) =>
  err instanceof HttpError
    ? {
        status: err.status,
        body: { error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      }
    : null,
);
