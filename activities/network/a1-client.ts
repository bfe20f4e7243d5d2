/**
 * The slice operator's A1-P consumer: O-RAN A1AP v2 to a near-RT RIC at `MAESTRO_A1_URL` (by
 * default the emulated RAN, which serves the same standard paths). Answers are validated against
 * the A1AP contract (core/network/a1ap.ts).
 *
 * Errors keep Temporal's retry policy meaningful: a RIC that is away, overloaded or failing
 * (timeouts, network errors, 429, 5xx, 507) throws a retryable error; a RIC that refuses the
 * request itself (400, 404 for a policy type, 405, 409) throws a non-retryable ApplicationFailure
 * of type `A1Rejected`, since the same request would be refused again. Both carry the RIC's
 * ProblemDetails, so the cell session's history says why.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  a1apPaths,
  a1PolicyStatusSchema,
  policyIdListSchema,
  policyTypeObjectSchema,
  problemDetailsSchema,
  type A1PolicyStatus,
  type PolicyTypeObject,
} from '../../core/network/a1ap.ts';

export interface A1Client {
  /** The URL the client talks to, for messages. */
  readonly baseUrl: string;
  policyTypeIds(): Promise<string[]>;
  policyType(policyTypeId: string): Promise<PolicyTypeObject>;
  policyIds(policyTypeId: string): Promise<string[]>;
  /** PUT: 'created' (201) or 'updated' (200). */
  putPolicy(policyTypeId: string, policyId: string, policy: unknown): Promise<'created' | 'updated'>;
  /** The stored policy, or null when the RIC has none with that id. */
  getPolicy(policyTypeId: string, policyId: string): Promise<unknown>;
  /** False when the RIC had no such policy (404), which is what a delete wants anyway. */
  deletePolicy(policyTypeId: string, policyId: string): Promise<boolean>;
  /** The policy's status, or null when the RIC has no such policy. */
  policyStatus(policyTypeId: string, policyId: string): Promise<A1PolicyStatus | null>;
}

/** Statuses a RIC answers when the same request may succeed later (A1AP 429, 503, 507; any 5xx). */
const transient = (status: number): boolean => status === 429 || status >= 500;

export class A1RequestError extends Error {
  override name = 'A1RequestError';
  readonly status: number | null;
  constructor(message: string, status: number | null) {
    super(message);
    this.status = status;
  }
}

export function createA1Client(baseUrl: string, timeoutMs = 10_000): A1Client {
  /** One request; null for a 404 when `absentOk` (the resource is simply not there). */
  const call = async (method: string, route: string, body?: unknown, absentOk = false) => {
    const what = `A1-P ${method} ${route} at ${baseUrl}`;
    let res: Response;
    try {
      res = await fetch(new URL(route, baseUrl), {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new A1RequestError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, null);
    }
    if (res.status === 404 && absentOk) return null;
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let detail = text.slice(0, 300);
      try {
        const problem = problemDetailsSchema.parse(JSON.parse(text));
        detail = [problem.title, problem.detail].filter(Boolean).join(': ') || detail;
      } catch {
        // not a ProblemDetails body: keep the text
      }
      const message = `${what} answered ${res.status}: ${detail}`;
      if (transient(res.status)) throw new A1RequestError(message, res.status);
      throw ApplicationFailure.create({ message, type: 'A1Rejected', nonRetryable: true, details: [res.status] });
    }
    return res;
  };
  const json = async (res: Response | null): Promise<unknown> => {
    if (res === null) return null;
    const text = await res.text();
    return text ? (JSON.parse(text) as unknown) : null;
  };

  return {
    baseUrl,
    policyTypeIds: async () => policyIdListSchema.parse(await json(await call('GET', a1apPaths.policyTypes()))),
    policyType: async (typeId) =>
      policyTypeObjectSchema.parse(await json(await call('GET', a1apPaths.policyType(typeId)))),
    policyIds: async (typeId) => policyIdListSchema.parse(await json(await call('GET', a1apPaths.policies(typeId)))),
    putPolicy: async (typeId, policyId, policy) => {
      const res = await call('PUT', a1apPaths.policy(typeId, policyId), policy);
      return res!.status === 201 ? 'created' : 'updated';
    },
    getPolicy: async (typeId, policyId) => json(await call('GET', a1apPaths.policy(typeId, policyId), undefined, true)),
    deletePolicy: async (typeId, policyId) =>
      (await call('DELETE', a1apPaths.policy(typeId, policyId), undefined, true)) !== null,
    policyStatus: async (typeId, policyId) => {
      const body = await json(await call('GET', a1apPaths.policyStatus(typeId, policyId), undefined, true));
      return body === null ? null : a1PolicyStatusSchema.parse(body);
    },
  };
}
