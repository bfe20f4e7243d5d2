/** The operations of /v1/intents (TMF921-style over TS 28.312) and /v1/cells (api/contract.ts). */
import { z } from 'zod';
import { approvalDecisionSchema, approvalPolicySchema } from '../../core/intents/approval.ts';
import { feasibilityCheckReportSchema } from '../../core/intents/feasibility.ts';
import { cellSessionStateSchema } from '../../core/network/cell-session.ts';
import { intentBodySchema } from '../../core/intents/schemas.ts';
import { errorResponse, type OperationContract } from '../contract.ts';
import { cellListSchema, intentListSchema, intentReportSchema, intentResourceSchema } from './schemas.ts';

const intentId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^i-[0-9a-f]{8}@' } };
const intent = {
  description: 'the intent: the body as stored plus id, href, tenantId, cellId, version, creationDate, lastUpdate',
  schema: intentResourceSchema,
};
const unknownIntent = errorResponse('unknown intent, or another tenant’s (the same answer, so nothing leaks)');
const noWorker = errorResponse('no worker answered in time (the cell session goes on; try again)');

const cellIdParameter = { name: 'cellId', in: 'path', required: true, schema: { type: 'string' } } as const;

export const approvalAnswerSchema = z.object({
  negotiationId: z.string(),
  decision: z.enum(['approve', 'reject']),
});

export const intentCreateQuerySchema = z.strictObject({
  feasibilityCheck: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: only check whether the cell can carry the intent (28.312 feasibility check); nothing is created'),
});

const infeasible = errorResponse(
  'the cell cannot carry the expectation (28.312 feasibility check INFEASIBLE): details.intentFeasibilityCheckReport says why',
);

export const intentListQuerySchema = z.strictObject({ cellId: z.string().min(1).max(64).optional() });

export const intentContracts = {
  create: {
    method: 'post',
    path: '/v1/intents',
    summary: 'Create a BO’s intent on a shared cell (28.312 Intent with one throughput expectation)',
    description:
      'The first intent on a cell starts its cell session. One intent per tenant per cell. The target condition gives the objective: IS_GREATER_THAN… = quality, IS_LESS_THAN… = cost.',
    access: 'tenant',
    query: intentCreateQuerySchema,
    body: {
      schema: intentBodySchema,
      example: {
        userLabel: 'Premium video on the shared n78 cell',
        intentExpectations: [
          {
            expectationId: 'cell-throughput',
            expectationVerb: 'DELIVER',
            expectationObject: { objectType: 'RAN_SubNetwork', objectInstance: 'cell-n78-a' },
            expectationTargets: [
              { targetName: 'AveDLRANUEThpt', targetCondition: 'IS_EQUAL_TO_OR_GREATER_THAN', targetValueRange: 100 },
            ],
          },
        ],
        agent: { personality: 'normal', switchOffBelowMbps: 20 },
      },
    },
    responses: {
      503: noWorker,
      201: {
        ...intent,
        headers: { Location: { description: 'the intent’s href', schema: { type: 'string' } } },
        links: Object.fromEntries(
          ['get', 'patch', 'report', 'remove'].map((name) => [
            name,
            { operationId: `intents.${name}`, parameters: { id: '$response.body#/id' } },
          ]),
        ),
      },
      200: {
        description: 'with ?feasibilityCheck=true: the 28.312 IntentFeasibilityCheckReport; nothing was created',
        schema: z.object({ intentFeasibilityCheckReport: feasibilityCheckReportSchema }),
      },
      400: errorResponse('invalid intent (zod issues listed) or unknown cell'),
      403: errorResponse('the operator: intents belong to BO tenants'),
      409: errorResponse('the tenant already has an intent on this cell'),
      422: infeasible,
    },
  },
  list: {
    method: 'get',
    path: '/v1/intents',
    summary: 'List intents: a BO its own, the operator every tenant’s',
    access: 'tenant',
    query: intentListQuerySchema,
    responses: {
      503: noWorker,
      200: { description: 'the intents', schema: intentListSchema },
      400: errorResponse('bad filter'),
    },
  },
  get: {
    method: 'get',
    path: '/v1/intents/{id}',
    summary: 'Read an intent',
    access: 'tenant',
    parameters: [intentId],
    responses: {
      503: noWorker,
      200: intent,
      404: unknownIntent,
    },
  },
  patch: {
    method: 'patch',
    path: '/v1/intents/{id}',
    summary: 'Change an intent with a JSON merge patch (RFC 7386); the result is validated as a whole',
    access: 'tenant',
    parameters: [intentId],
    body: { schema: z.record(z.string(), z.unknown()), contentType: 'application/merge-patch+json' },
    responses: {
      503: noWorker,
      200: intent,
      400: errorResponse('the patched intent is invalid'),
      403: errorResponse('the operator: only the owning BO changes its intent'),
      404: unknownIntent,
      409: errorResponse('changed meanwhile (stale version)'),
      422: infeasible,
    },
  },
  remove: {
    method: 'delete',
    path: '/v1/intents/{id}',
    summary: 'Delete an intent (its owner or the operator); the cell renegotiates without it',
    access: 'tenant',
    parameters: [intentId],
    responses: {
      503: noWorker,
      204: { description: 'deleted' },
      404: unknownIntent,
    },
  },
  report: {
    method: 'get',
    path: '/v1/intents/{id}/report',
    summary:
      'Intent report (28.312 IntentFulfilmentReport: status and achieved value per target) and the negotiation report',
    access: 'tenant',
    parameters: [intentId],
    responses: {
      503: noWorker,
      200: { description: 'the report', schema: intentReportSchema },
      404: unknownIntent,
    },
  },
  cells: {
    method: 'get',
    path: '/v1/cells',
    summary: 'Cells that can host sessions',
    access: 'tenant',
    responses: { 200: { description: 'the cell ids', schema: cellListSchema } },
  },
  session: {
    method: 'get',
    path: '/v1/cells/{cellId}/session',
    summary:
      'The operator’s view of a cell session: intents, telemetry window, negotiations, enforcement, votes, events',
    access: 'operator',
    parameters: [{ name: 'cellId', in: 'path', required: true, schema: { type: 'string' } }],
    responses: {
      503: noWorker,
      200: {
        description: 'the session state: the `cellSessionState` query’s answer',
        schema: cellSessionStateSchema,
      },
      404: errorResponse('unknown cell, or no session on it'),
    },
  },
  approval: {
    method: 'post',
    path: '/v1/cells/{cellId}/approval',
    summary: 'Approve or reject the consensus waiting for the operator (cell session phase awaiting_approval)',
    description:
      'A Temporal update with a validator: refused (409) when no consensus waits, when it is another negotiation’s, or when it is already decided. An approved consensus is enforced; a rejected one leaves the previous setting in force.',
    access: 'operator',
    parameters: [cellIdParameter],
    body: {
      schema: approvalDecisionSchema,
      example: {
        negotiationId: 'cell-session-cell-n78-a-n1',
        decision: 'reject',
        reason: 'premium SLA review pending',
      },
    },
    responses: {
      503: noWorker,
      200: { description: 'the decision as the session took it', schema: approvalAnswerSchema },
      400: errorResponse('malformed decision (a rejection needs a reason)'),
      404: errorResponse('unknown cell, or no session on it'),
      409: errorResponse('nothing to decide: no pending consensus, another negotiation’s, or already decided'),
    },
  },
  approvalPolicy: {
    method: 'put',
    path: '/v1/cells/{cellId}/approval-policy',
    summary: 'Require (or stop requiring) operator approval of this cell’s consensuses, with a default on time-out',
    access: 'operator',
    parameters: [cellIdParameter],
    body: { schema: approvalPolicySchema, example: { required: true, timeoutS: 600, onTimeout: 'reject' } },
    responses: {
      503: noWorker,
      200: { description: 'the approval rule now in force', schema: approvalPolicySchema },
      400: errorResponse('malformed rule'),
      404: errorResponse('unknown cell, or no session on it'),
    },
  },
} satisfies Record<string, OperationContract>;
