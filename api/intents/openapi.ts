/** OpenAPI paths of the intent API (TMF921-style over TS 28.312), from the schemas the routes validate with. */
import type { z } from 'zod';
import { intentBodySchema } from '../../core/intents/schemas.ts';

type JsonBody = (s: z.ZodType, io?: 'input' | 'output') => Record<string, unknown>;
type ErrorBody = (description: string) => Record<string, unknown>;

export function intentPaths(json: JsonBody, error: ErrorBody): Record<string, unknown> {
  const intentId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^i-[0-9a-f]{8}@' } };
  const intentResponse = {
    description: 'the intent: the body as stored plus id, href, tenantId, cellId, version, creationDate, lastUpdate',
    content: json(intentBodySchema),
  };
  const authErrors = {
    '401': error('no or unknown API key'),
    '403': error('another tenant’s intent, or a role that may not'),
  };
  return {
    '/v1/intents': {
      post: {
        summary: 'Create a BO’s intent on a shared cell (28.312 Intent with one throughput expectation)',
        description:
          'The first intent on a cell starts its cell session. One intent per tenant per cell. The target condition gives the objective: IS_GREATER_THAN… = quality, IS_LESS_THAN… = cost.',
        requestBody: { required: true, content: json(intentBodySchema, 'input') },
        responses: {
          '201': intentResponse,
          '400': error('invalid intent (zod issues listed) or unknown cell'),
          ...authErrors,
          '409': error('the tenant already has an intent on this cell'),
        },
      },
      get: {
        summary: 'List intents: a BO its own, the operator every tenant’s',
        parameters: [{ name: 'cellId', in: 'query', required: false, schema: { type: 'string' } }],
        responses: { '200': { description: '{ intents: [...] }' }, ...authErrors },
      },
    },
    '/v1/intents/{id}': {
      get: {
        summary: 'Read an intent',
        parameters: [intentId],
        responses: { '200': intentResponse, '404': error('unknown intent'), ...authErrors },
      },
      patch: {
        summary: 'Change an intent with a JSON merge patch (RFC 7386); the result is validated as a whole',
        parameters: [intentId],
        requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { type: 'object' } } } },
        responses: {
          '200': intentResponse,
          '400': error('the patched intent is invalid'),
          '404': error('unknown intent'),
          ...authErrors,
        },
      },
      delete: {
        summary: 'Delete an intent (its owner or the operator); the cell renegotiates without it',
        parameters: [intentId],
        responses: { '204': { description: 'deleted' }, '404': error('unknown intent'), ...authErrors },
      },
    },
    '/v1/intents/{id}/report': {
      get: {
        summary:
          'Intent report (28.312 IntentFulfilmentReport: status and achieved value per target) and the negotiation report',
        parameters: [intentId],
        responses: { '200': { description: 'the report' }, '404': error('unknown intent'), ...authErrors },
      },
    },
    '/v1/cells': {
      get: { summary: 'Cells that can host sessions', responses: { '200': { description: '{ cells: [...] }' } } },
    },
    '/v1/cells/{cellId}/session': {
      get: {
        summary:
          'The operator’s view of a cell session: intents, telemetry window, negotiations, enforcement, votes, events',
        parameters: [{ name: 'cellId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'session state' }, '404': error('no session on this cell'), ...authErrors },
      },
    },
  };
}
