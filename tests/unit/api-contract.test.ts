import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { documentedResponse, type OperationContract } from '../../api/contract.ts';
import { apiContracts, buildOpenApiDocument } from '../../api/openapi.ts';
import { tenantNegotiationViewSchema } from '../../api/negotiations/schemas.ts';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>> };

describe('the API contract (api/contract.ts)', () => {
  const doc = buildOpenApiDocument() as unknown as Doc;

  it('documents every declared operation once, with 401 on every /v1 one and 403 where only the operator may', () => {
    const keys = apiContracts.map((c) => `${c.method} ${c.path}`);
    assert.equal(new Set(keys).size, keys.length, 'no operation declared twice');
    for (const c of apiContracts) {
      const responses = doc.paths[c.path]?.[c.method]?.responses;
      assert.ok(responses, `${c.method} ${c.path} is in the document`);
      if (c.path.startsWith('/v1/')) assert.ok(responses['401'], `${c.method} ${c.path} documents 401`);
      if (c.access === 'operator') assert.ok(responses['403'], `${c.method} ${c.path} documents 403`);
    }
  });

  it('gives every JSON response with a body its schema in the document', () => {
    for (const c of apiContracts) {
      for (const [status, response] of Object.entries(doc.paths[c.path]![c.method]!.responses)) {
        const declared = c.responses[Number(status)];
        if (declared?.schema) assert.ok(response.content, `${c.method} ${c.path} ${status} has its schema`);
      }
    }
  });

  it('every documented request example passes the schema the route validates with', () => {
    const withExamples = apiContracts.filter((c) => c.body?.example !== undefined);
    assert.ok(withExamples.length >= 2);
    for (const c of withExamples) {
      const parsed = c.body!.schema.safeParse(c.body!.example);
      assert.ok(parsed.success, `${c.operationId}: ${JSON.stringify(parsed.error?.issues)}`);
    }
  });

  it('checks a response: undeclared status, wrong shape and undeclared operation are problems', () => {
    const contracts: OperationContract[] = [
      {
        method: 'get',
        path: '/v1/things/{id}',
        summary: 'a thing',
        access: 'tenant',
        responses: { 200: { description: 'it', schema: z.strictObject({ id: z.string() }) } },
      },
    ];
    const get = { method: 'GET', path: '/v1/things/t1' };
    assert.equal(documentedResponse(contracts, get, 200, { id: 't1' }), null);
    assert.match(documentedResponse(contracts, get, 200, { id: 1 }) ?? '', /id/);
    assert.match(documentedResponse(contracts, get, 200, { id: 't1', secret: 3 }) ?? '', /secret|unrecognized/i);
    assert.match(documentedResponse(contracts, get, 409, {}) ?? '', /not declared/);
    assert.equal(documentedResponse(contracts, get, 401, { error: 'unauthorized', message: 'no key' }), null);
    assert.match(
      documentedResponse(contracts, { method: 'POST', path: '/v1/things/t1' }, 201, {}) ?? '',
      /not declared/,
    );
  });

  it("a BO's view of a negotiation admits no field it does not declare (nothing private leaks by accident)", () => {
    const view = {
      id: 'negotiation-1',
      status: 'running',
      currentRound: 1,
      topic: { name: 't', unit: 'Mbps', min: 0, max: 100 },
      maxRounds: 5,
      parties: [{ id: 'bo-2', objective: 'qos' }],
      you: { id: 'bo-1', objective: 'cost', target: 20, weight: 1, personality: 'normal', active: true },
      consensus: null,
      rounds: [],
    };
    assert.equal(tenantNegotiationViewSchema.safeParse(view).success, true);
    const leaking = { ...view, parties: [{ id: 'bo-2', objective: 'qos', target: 90 }] };
    assert.equal(tenantNegotiationViewSchema.safeParse(leaking).success, false);
  });
});
