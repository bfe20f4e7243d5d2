/**
 * API keys → principals. Every /v1 route needs a key (`Authorization: Bearer <key>` or
 * `X-API-Key`): none or an unknown one is 401; a BO touching what is not its own is 403 (or 404
 * where even the existence of another tenant's resource must not leak).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Tenant, TenantDirectory } from '../core/tenants/tenants.ts';
import { HttpError } from './errors.ts';

export type Principal = Pick<Tenant, 'id' | 'name' | 'role' | 'weight'>;

export const unauthorized = (message: string): HttpError => new HttpError(401, 'unauthorized', message);
export const forbidden = (message: string): HttpError => new HttpError(403, 'forbidden', message);

function presentedKey(req: Request): string | null {
  const header = req.header('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match ? match[1]! : null;
  }
  return req.header('x-api-key') ?? null;
}

export function authenticate(tenants: TenantDirectory): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const key = presentedKey(req);
    if (key === null) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="maestro"');
      next(unauthorized('an API key is required (Authorization: Bearer <key> or X-API-Key)'));
      return;
    }
    const tenant = tenants.authenticate(key);
    if (!tenant) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="maestro", error="invalid_token"');
      next(unauthorized('unknown API key'));
      return;
    }
    const principal: Principal = { id: tenant.id, name: tenant.name, role: tenant.role, weight: tenant.weight };
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw unauthorized('not authenticated');
  return principal;
}

export function requireOperator(res: Response): Principal {
  const principal = principalOf(res);
  if (principal.role !== 'operator') throw forbidden('only the network operator may do this');
  return principal;
}
