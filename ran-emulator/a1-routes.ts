/**
 * The emulated RAN's near-RT RIC face: O-RAN A1AP v2 (A1-P) on its standard paths
 * (`/A1-P/v2/policytypes/{policyTypeId}/policies/{policyId}[/status]`, core/network/a1ap.ts), for
 * the one policy type it enforces, ORAN_SliceSLATarget_1.0.0. PUT creates (201 + Location) or
 * replaces (200); status changes are POSTed to the policy's notificationDestination; every error
 * is an RFC 7807 ProblemDetails body (application/problem+json), as A1AP specifies.
 */
import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import { ZodError, z } from 'zod';
import { zodErrorBody } from '../core/http/error-body.ts';
import {
  a1apPaths,
  a1apRoot,
  a1apRoutes,
  a1PolicyStatusSchema,
  problemJsonMediaType,
  type A1PolicyStatus,
  type PolicyTypeObject,
} from '../core/network/a1ap.ts';
import { a1SliceSlaPolicySchema, a1SliceSlaPolicyTypeId } from './a1.ts';
import { RanError, type EmulatedRan } from './ran.ts';

/** PolicyTypeObject of ORAN_SliceSLATarget_1.0.0: the policy's and the status's JSON Schemas. */
const policyTypeObject: PolicyTypeObject = {
  policySchema: z.toJSONSchema(a1SliceSlaPolicySchema, { io: 'input', unrepresentable: 'any' }),
  statusSchema: z.toJSONSchema(a1PolicyStatusSchema, { io: 'input' }),
};

const notificationDestinationSchema = z.url({ protocol: /^https?$/ });

/**
 * Sends each policy's status to its notification destination when it changes (after any request
 * that can change it). Best effort, as A1AP's callback is: a destination that fails is logged and
 * counted, and the next change is sent again.
 */
export class A1StatusNotifier {
  readonly #ran: EmulatedRan;
  readonly #sent = new Map<string, string>();
  failures = 0;
  delivered = 0;

  constructor(ran: EmulatedRan) {
    this.#ran = ran;
  }

  async check(): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const policyId of this.#ran.a1PolicyIds()) {
      const destination = this.#ran.a1NotificationDestination(policyId);
      const status = this.#ran.a1PolicyStatus(policyId);
      if (!destination || !status) continue;
      const body = JSON.stringify(status);
      if (this.#sent.get(policyId) === body) continue;
      this.#sent.set(policyId, body);
      sends.push(this.#post(destination, policyId, body));
    }
    for (const id of this.#sent.keys()) if (!this.#ran.a1PolicyStatus(id)) this.#sent.delete(id);
    await Promise.all(sends);
  }

  async #post(destination: string, policyId: string, body: string): Promise<void> {
    try {
      const res = await fetch(destination, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      this.delivered += 1;
    } catch (err) {
      this.failures += 1;
      this.#sent.delete(policyId); // so the next change, or the next check, tries again
      console.warn(`[ran-emulator] A1 status notification for ${policyId} to ${destination} failed:`, String(err));
    }
  }
}

class A1Problem extends Error {
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, detail: string) {
    super(detail);
    this.status = status;
    this.title = title;
  }
}

const notFound = (detail: string) => new A1Problem(404, 'Not Found', detail);

export function createA1Router(ran: EmulatedRan, notifier: A1StatusNotifier): Router {
  const router = express.Router();
  const param = (req: Request, name: string): string => String(req.params[name]);
  const typeOf = (req: Request): string => {
    const typeId = param(req, 'policyTypeId');
    if (typeId !== a1SliceSlaPolicyTypeId) throw notFound(`no policy type ${typeId}`);
    return typeId;
  };
  const statusOf = (policyId: string): A1PolicyStatus => {
    const status = ran.a1PolicyStatus(policyId);
    if (!status) throw notFound(`no policy ${policyId}`);
    return status;
  };

  router.get(a1apRoutes.policyTypes, (_req, res) => {
    res.json([a1SliceSlaPolicyTypeId]);
  });
  router.get(a1apRoutes.policyType, (req, res) => {
    typeOf(req);
    res.json(policyTypeObject);
  });
  router.get(a1apRoutes.policies, (req, res) => {
    typeOf(req);
    res.json(ran.a1PolicyIds());
  });
  router.put(a1apRoutes.policy, async (req, res) => {
    const typeId = typeOf(req);
    const policyId = param(req, 'policyId');
    const destination =
      req.query.notificationDestination === undefined
        ? undefined
        : notificationDestinationSchema.parse(req.query.notificationDestination);
    const created = ran.putA1Policy(policyId, req.body, destination);
    if (created) res.location(a1apPaths.policy(typeId, policyId));
    res.status(created ? 201 : 200).json(ran.getA1Policy(policyId));
    await notifier.check();
  });
  router.get(a1apRoutes.policy, (req, res) => {
    typeOf(req);
    const policyId = param(req, 'policyId');
    const policy = ran.getA1Policy(policyId);
    if (!policy) throw notFound(`no policy ${policyId}`);
    res.json(policy);
  });
  router.get(a1apRoutes.policyStatus, (req, res) => {
    typeOf(req);
    res.json(statusOf(param(req, 'policyId')));
  });
  router.delete(a1apRoutes.policy, async (req, res) => {
    typeOf(req);
    const policyId = param(req, 'policyId');
    if (!ran.deleteA1Policy(policyId)) throw notFound(`no policy ${policyId}`);
    res.status(204).end();
    await notifier.check();
  });
  // Any other method or path under the A1-P root is answered here, in the A1 error format.
  router.use(a1apRoot, (req, _res, next) => {
    next(notFound(`no A1-P resource ${req.method} ${req.originalUrl}`));
  });
  router.use(a1ProblemHandler);
  return router;
}

/** ProblemDetails for everything that goes wrong on the A1-P paths (zod issues kept as an extension). */
const a1ProblemHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}) => {
    res
      .status(status)
      .type(problemJsonMediaType)
      .send(JSON.stringify({ title, status, detail, instance: req.originalUrl, ...extra }));
  };
  if (err instanceof A1Problem) return problem(err.status, err.title, err.message);
  if (err instanceof ZodError) {
    const { issues } = zodErrorBody(err);
    return problem(400, 'Bad Request', 'the policy does not match the schema of its policy type', { issues });
  }
  if (err instanceof RanError)
    return problem(err.status, err.status === 404 ? 'Not Found' : 'Bad Request', err.message);
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return problem(status, 'Bad Request', (err as Error).message);
  }
  console.error('[ran-emulator] A1-P error', err);
  return problem(500, 'Internal Server Error', 'internal error');
};
