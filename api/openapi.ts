/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with
 * (zod 4 emits JSON Schema draft 2020-12, which OpenAPI 3.1 uses as is).
 */
import { z } from 'zod';
import { errorBodySchema } from './errors.ts';
import { intentPaths } from './intents/openapi.ts';
import { sixgPaths } from './sixg/openapi.ts';
import {
  createdSchema,
  listQuerySchema,
  listResponseSchema,
  negotiationRequestSchema,
  negotiationViewSchema,
  networkStateSchema,
  signalAcceptedSchema,
  targetChangeBodySchema,
  targetChangeResponseSchema,
  withdrawalSchema,
} from './negotiations/schemas.ts';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> => {
  const jsonSchema: Record<string, unknown> = { ...z.toJSONSchema(s, { io, unrepresentable: 'any' }) };
  delete jsonSchema.$schema; // the document declares its dialect once
  return jsonSchema;
};
const json = (s: z.ZodType, io: 'input' | 'output' = 'output') => ({ 'application/json': { schema: schema(s, io) } });
const error = (description: string) => ({ description, content: json(errorBodySchema) });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

export function buildOpenApiDocument(): Record<string, unknown> {
  const listQuery = schema(listQuerySchema, 'input') as { properties: Record<string, Record<string, unknown>> };
  return {
    openapi: '3.1.0',
    info: {
      title: 'maestro API',
      version: '0.1.0',
      description:
        'Business operators state intents on shared cells (TS 28.312, TMF921-style); MAESTRO negotiates, enforces and reports. Every /v1 route needs an API key: a BO tenant sees its own intents and its part of its negotiations, the operator everything.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'the tenant’s API key' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      ...intentPaths(json, error),
      ...sixgPaths(json, error),
      '/healthz': {
        get: {
          security: [],
          summary: 'Readiness of Temporal, the negotiation workers and the model server',
          responses: {
            '200': { description: 'everything answers' },
            '503': { description: 'something is down; the body says what' },
          },
        },
      },
      '/v1/negotiations': {
        post: {
          summary: 'Start a negotiation',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 200 },
              description:
                'Repeating a request with the same key returns the same negotiation (200); a different body gives 409.',
            },
          ],
          requestBody: { required: true, content: json(negotiationRequestSchema, 'input') },
          responses: {
            '201': { description: 'started', content: json(createdSchema) },
            '200': { description: 'already started under this Idempotency-Key', content: json(createdSchema) },
            '400': error('invalid request (zod issues listed)'),
            '409': error('Idempotency-Key reused with another body'),
          },
        },
        get: {
          summary: 'List negotiations, newest first',
          parameters: Object.entries(listQuery.properties).map(([name, s]) => ({
            name,
            in: 'query',
            required: false,
            schema: s,
          })),
          responses: {
            '200': { description: 'negotiations', content: json(listResponseSchema) },
            '400': error('bad filter'),
          },
        },
      },
      '/v1/negotiations/{id}': {
        get: {
          summary: 'A negotiation’s state: rounds, values, consensus, optimum',
          parameters: [idParam],
          responses: {
            '200': { description: 'state', content: json(negotiationViewSchema) },
            '404': error('unknown id'),
          },
        },
      },
      '/v1/negotiations/{id}/cancel': {
        post: {
          summary: 'Cancel a running negotiation (it completes with status cancelled)',
          parameters: [idParam],
          responses: {
            '202': { description: 'cancellation requested' },
            '404': error('unknown id'),
            '409': error('not running'),
          },
        },
      },
      '/v1/negotiations/{id}/parties/{partyId}/target': {
        post: {
          summary: 'Change a party’s target; applies from the next round',
          parameters: [idParam, { name: 'partyId', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: json(targetChangeBodySchema, 'input') },
          responses: {
            '200': { description: 'accepted', content: json(targetChangeResponseSchema) },
            '400': error('target out of range'),
            '404': error('unknown negotiation or party'),
            '409': error('not running'),
          },
        },
      },
      '/v1/negotiations/{id}/network': {
        post: {
          summary: 'Report the network state (observability): the topic adapts to the capacity, or halts',
          parameters: [idParam],
          requestBody: { required: true, content: json(networkStateSchema, 'input') },
          responses: {
            '202': { description: 'signalled; applies from the next round', content: json(signalAcceptedSchema) },
            '400': error('invalid network state'),
            '404': error('unknown id'),
            '409': error('not running'),
          },
        },
      },
      '/v1/negotiations/{id}/parties/{partyId}/withdraw': {
        post: {
          summary: 'A BO leaves the negotiation (its business intent changed); fewer than two parties halts it',
          parameters: [idParam, { name: 'partyId', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: false, content: json(withdrawalSchema, 'input') },
          responses: {
            '202': { description: 'signalled; applies from the next round', content: json(signalAcceptedSchema) },
            '400': error('invalid body'),
            '404': error('unknown negotiation or party'),
            '409': error('not running'),
          },
        },
      },
    },
  };
}
