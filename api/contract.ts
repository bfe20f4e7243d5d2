/**
 * One declaration per HTTP operation: its path, who may call it, what it takes and every response
 * it can give, each with its zod schema. The routes are mounted from these declarations
 * (`mountOperations`), the OpenAPI document is written from them (openapi.ts), and the tests
 * check each response against the declared schema (`documentedResponse`): a path, a status or a
 * body shape cannot exist in one of the three and not in the others.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call: anyone, any tenant with a key (BOs see their own), or only the network operator. */
export type Access = 'public' | 'tenant' | 'operator';

export interface ResponseContract {
  description: string;
  /** The body's schema; absent for an empty body (204, 202 without content). */
  schema?: z.ZodType;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
  /** OpenAPI links: which operations take a value of this response (e.g. the created id) as a parameter. */
  links?: Record<string, { operationId: string; parameters: Record<string, string>; description?: string }>;
}

export interface OperationContract {
  /** Unique, stable: `<group>.<name>` (openapi.ts fills it from where the contract is declared). */
  operationId?: string;
  method: Method;
  /** The OpenAPI path template, e.g. `/v1/negotiations/{id}`. */
  path: string;
  summary: string;
  description?: string;
  access: Access;
  /** Path and header parameters (query parameters come from `query`). */
  parameters?: Record<string, unknown>[];
  query?: z.ZodObject;
  /** `example`: a request that succeeds (rules beyond JSON Schema, e.g. unique party ids, hold in it). */
  body?: { schema: z.ZodType; contentType?: string; required?: boolean; example?: unknown };
  /** Every status the operation answers besides the access errors `access` implies. */
  responses: Record<number, ResponseContract>;
}

export type Handler = (req: Request, res: Response) => Promise<void> | void;

/** A declaration with its implementation. */
export interface Operation {
  contract: OperationContract;
  handle: Handler;
}

/** The body every error is answered with (core/http/error-body.ts and HttpError write it). */
export const errorBodySchema = z.object({
  error: z.string().describe('machine-readable code'),
  message: z.string(),
  issues: z
    .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
    .optional()
    .describe('schema violations of the request, one per field'),
  details: z.unknown().optional().describe('what the service adds about its own error (e.g. the conflicting state)'),
});

export const errorResponse = (description: string): ResponseContract => ({ description, schema: errorBodySchema });

/** The 401/403 answers an access level implies, beside those an operation declares itself. */
export function accessResponses(access: Access): Record<number, ResponseContract> {
  if (access === 'public') return {};
  const unauthorized = { 401: errorResponse('no or unknown API key') };
  return access === 'operator' ? { ...unauthorized, 403: errorResponse('not the network operator') } : unauthorized;
}

/** Every response of an operation: its own and its access level's. */
export const allResponses = (contract: OperationContract): Record<number, ResponseContract> => ({
  ...accessResponses(contract.access),
  ...contract.responses,
});

const expressPath = (template: string): string => template.replace(/\{([^}]+)\}/g, ':$1');

/** Mounts each operation on `router` at its path; errors thrown by handlers reach the error handler. */
export function mountOperations(router: Router, operations: readonly Operation[]): void {
  for (const { contract, handle } of operations) {
    router[contract.method](expressPath(contract.path), async (req, res, next) => {
      try {
        await handle(req, res);
      } catch (err) {
        next(err);
      }
    });
  }
}

const matches = (template: string, path: string): boolean => {
  const parts = template.split('/');
  const segments = path.split('/');
  return (
    parts.length === segments.length &&
    parts.every((part, i) => part === segments[i] || (part.startsWith('{') && segments[i] !== ''))
  );
};

/** The declaration for a concrete request (`/v1/negotiations/negotiation-1`), or undefined. */
export function contractFor(
  contracts: readonly OperationContract[],
  method: string,
  path: string,
): OperationContract | undefined {
  const bare = path.split('?')[0]!;
  return contracts.find((c) => c.method === method.toLowerCase() && matches(c.path, bare));
}

/**
 * Checks a response against its declaration: the status must be declared (or implied by the
 * access level), and the body must match its schema (`strict` schemas reject extra fields). Returns
 * the problem, or null. The 404/405/415 the app gives to any request are not per operation.
 */
export function documentedResponse(
  contracts: readonly OperationContract[],
  request: { method: string; path: string },
  status: number,
  body: unknown,
): string | null {
  if ([405, 415].includes(status)) return null;
  const contract = contractFor(contracts, request.method, request.path);
  if (!contract) return status === 404 ? null : `${request.method} ${request.path} is not declared`;
  const declared = allResponses(contract)[status];
  if (!declared) return `${request.method} ${contract.path} answered ${status}, which is not declared`;
  if (!declared.schema) return null;
  const parsed = declared.schema.safeParse(body);
  return parsed.success
    ? null
    : `${request.method} ${contract.path} ${status}: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`;
}
