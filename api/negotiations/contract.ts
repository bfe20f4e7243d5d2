/** The operations of /v1/negotiations: paths, access, bodies and every response (api/contract.ts). */
import { z } from 'zod';
import { errorResponse, type OperationContract } from '../contract.ts';
import {
  cancelAcceptedSchema,
  createdSchema,
  listQuerySchema,
  listResponseSchema,
  negotiationRequestBodySchema,
  negotiationViewSchema,
  networkStateSchema,
  signalAcceptedSchema,
  targetChangeBodySchema,
  targetChangeResponseSchema,
  tenantNegotiationViewSchema,
  withdrawalSchema,
} from './schemas.ts';

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const partyParam = { name: 'partyId', in: 'path', required: true, schema: { type: 'string' } };
const notRunning = errorResponse('not running');
const noWorker = errorResponse('no worker answered in time (the negotiation goes on; try again)');
/** What a started negotiation's id leads to (OpenAPI links: clients and fuzzers follow them). */
const negotiationLinks = Object.fromEntries(
  ['get', 'cancel', 'reportNetwork'].map((name) => [
    name,
    { operationId: `negotiations.${name}`, parameters: { id: '$response.body#/id' } },
  ]),
);

export const negotiationContracts = {
  start: {
    method: 'post',
    path: '/v1/negotiations',
    summary: 'Start a negotiation',
    access: 'operator',
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
    body: {
      schema: negotiationRequestBodySchema,
      example: {
        topic: { name: 'throughput of shared cell A', unit: 'Mbps', min: 0, max: 134 },
        parties: [
          { id: 'bo-1', objective: 'cost', target: 20, weight: 1, personality: 'normal' },
          { id: 'bo-2', objective: 'qos', target: 100, weight: 1, personality: 'normal' },
        ],
        maxRounds: 5,
        tolerance: 2,
        optimizerMode: 'soft',
      },
    },
    responses: {
      201: { description: 'started', schema: createdSchema, links: negotiationLinks },
      200: { description: 'already started under this Idempotency-Key', schema: createdSchema },
      400: errorResponse('invalid request (zod issues listed)'),
      409: errorResponse('Idempotency-Key reused with another body'),
    },
  },
  list: {
    method: 'get',
    path: '/v1/negotiations',
    summary: 'List negotiations, newest first (a BO tenant: those it is a party of)',
    access: 'tenant',
    query: listQuerySchema,
    responses: {
      200: { description: 'negotiations', schema: listResponseSchema },
      400: errorResponse('bad filter'),
    },
  },
  get: {
    method: 'get',
    path: '/v1/negotiations/{id}',
    summary: 'A negotiation’s state: rounds, values, consensus, optimum',
    description:
      'The operator gets the whole state; a BO tenant that is a party gets its redacted view (its own values and messages, the public outcome). A BO that is not a party gets 404, as for an unknown id: nothing says whether the negotiation exists.',
    access: 'tenant',
    parameters: [idParam],
    responses: {
      200: {
        description: 'the state (operator) or the party’s view (BO)',
        schema: z.union([negotiationViewSchema, tenantNegotiationViewSchema]),
      },
      404: errorResponse('unknown id, or not a party of it'),
      503: noWorker,
    },
  },
  cancel: {
    method: 'post',
    path: '/v1/negotiations/{id}/cancel',
    summary: 'Cancel a running negotiation (it completes with status cancelled)',
    access: 'operator',
    parameters: [idParam],
    responses: {
      202: { description: 'cancellation requested', schema: cancelAcceptedSchema },
      404: errorResponse('unknown id'),
      409: notRunning,
    },
  },
  changeTarget: {
    method: 'post',
    path: '/v1/negotiations/{id}/parties/{partyId}/target',
    summary: 'Change a party’s target; applies from the next round (the operator, or the party itself)',
    access: 'tenant',
    parameters: [idParam, partyParam],
    body: { schema: targetChangeBodySchema },
    responses: {
      200: { description: 'accepted', schema: targetChangeResponseSchema },
      400: errorResponse('not a finite number within ±1e9'),
      403: errorResponse('a BO acting for another party'),
      404: errorResponse('unknown negotiation or party'),
      409: notRunning,
      503: noWorker,
    },
  },
  reportNetwork: {
    method: 'post',
    path: '/v1/negotiations/{id}/network',
    summary: 'Report the network state (observability): the topic adapts to the capacity, or halts',
    access: 'operator',
    parameters: [idParam],
    body: { schema: networkStateSchema },
    responses: {
      202: { description: 'signalled; applies from the next round', schema: signalAcceptedSchema },
      400: errorResponse('invalid network state'),
      404: errorResponse('unknown id'),
      409: notRunning,
    },
  },
  withdraw: {
    method: 'post',
    path: '/v1/negotiations/{id}/parties/{partyId}/withdraw',
    summary: 'A BO leaves the negotiation (its business intent changed); fewer than two parties halts it',
    access: 'tenant',
    parameters: [idParam, partyParam],
    body: { schema: withdrawalSchema, required: false },
    responses: {
      202: { description: 'signalled; applies from the next round', schema: signalAcceptedSchema },
      400: errorResponse('invalid body'),
      403: errorResponse('a BO acting for another party'),
      404: errorResponse('unknown negotiation or party'),
      409: notRunning,
      503: noWorker,
    },
  },
} satisfies Record<string, OperationContract>;
