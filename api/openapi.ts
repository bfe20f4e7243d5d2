/**
 * The OpenAPI 3.1 document, written from the operations' declarations (api/contract.ts): the same
 * zod schemas the routes validate with (zod 4 emits JSON Schema draft 2020-12, which OpenAPI 3.1
 * uses as is), every response with its body schema, the access errors each operation implies.
 */
import { z } from 'zod';
import { allResponses, type OperationContract } from './contract.ts';
import { intentContracts } from './intents/contract.ts';
import { negotiationContracts } from './negotiations/contract.ts';
import { sixgContracts } from './sixg/contract.ts';
import { healthReportSchema } from './health.ts';

/** The service's own operations, outside /v1: readiness and this document. */
export const systemContracts = {
  health: {
    method: 'get',
    path: '/healthz',
    summary: 'Readiness of Temporal, the negotiation workers and the model server',
    access: 'public',
    responses: {
      200: { description: 'everything answers', schema: healthReportSchema },
      503: { description: 'something is down; the checks say what', schema: healthReportSchema },
    },
  },
  openApi: {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    access: 'public',
    responses: { 200: { description: 'the OpenAPI 3.1 document', schema: z.record(z.string(), z.unknown()) } },
  },
} satisfies Record<string, OperationContract>;

/** A group's operations with their operationIds (`negotiations.get`, …). */
const named = (group: string, contracts: Record<string, OperationContract>): OperationContract[] =>
  Object.entries(contracts).map(([name, c]) => ({ ...c, operationId: c.operationId ?? `${group}.${name}` }));

/** Every operation of the API, in the document's order. */
export const apiContracts: readonly OperationContract[] = [
  ...named('system', systemContracts),
  ...named('negotiations', negotiationContracts),
  ...named('intents', intentContracts),
  ...named('sixg', sixgContracts),
];

const jsonSchema = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...z.toJSONSchema(s, { io, unrepresentable: 'any' }) };
  delete out.$schema; // the document declares its dialect once
  return out;
};

function operationObject(contract: OperationContract): Record<string, unknown> {
  const query = contract.query
    ? Object.entries((jsonSchema(contract.query, 'input').properties ?? {}) as Record<string, unknown>).map(
        ([name, schema]) => ({ name, in: 'query', required: false, schema }),
      )
    : [];
  const parameters = [...(contract.parameters ?? []), ...query];
  return {
    ...(contract.operationId ? { operationId: contract.operationId } : {}),
    summary: contract.summary,
    ...(contract.description ? { description: contract.description } : {}),
    ...(contract.access === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(contract.body
      ? {
          requestBody: {
            required: contract.body.required ?? true,
            content: {
              [contract.body.contentType ?? 'application/json']: {
                schema: jsonSchema(contract.body.schema, 'input'),
                ...(contract.body.example !== undefined ? { example: contract.body.example } : {}),
              },
            },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(allResponses(contract))
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.headers ? { headers: response.headers } : {}),
            ...(response.links ? { links: response.links } : {}),
            ...(response.schema
              ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
              : {}),
          },
        ]),
    ),
  };
}

export function buildOpenApiDocument(contracts: readonly OperationContract[] = apiContracts): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const contract of contracts) (paths[contract.path] ??= {})[contract.method] = operationObject(contract);
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
    paths,
  };
}
