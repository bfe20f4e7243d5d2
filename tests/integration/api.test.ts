/** The HTTP API against a real Temporal dev server, a real worker and the local model. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app.ts';
import { cellTopic, config, negotiationWorker, partiesOf, startTemporal } from '../helpers/stack.ts';
import { authAs, testTenants } from '../helpers/tenants.ts';
import { loadCells } from '../../core/network/cells.ts';
import { assertDocumented } from '../helpers/contract.ts';

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let server: Server;
let base: string;

before(async () => {
  env = await startTemporal();
  worker = await negotiationWorker(env, config.topology.taskQueues.negotiation);
  workerRun = worker.run();
  server = createApp(env.client, config, { tenants: testTenants, cells: loadCells(null) }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server?.close();
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
});

const validBody = () => ({
  topic: cellTopic,
  parties: partiesOf(2),
  maxRounds: 2,
  tolerance: 2,
  optimizerMode: 'hard',
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    // The operator's key unless a test says otherwise (an empty authorization header sends none).
    headers: Object.fromEntries(
      Object.entries({ 'content-type': 'application/json', ...authAs('operator'), ...headers }).filter(
        ([, v]) => v !== '',
      ),
    ),
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  assertDocumented(method, path, res.status, text ? parsed : undefined);
  return { status: res.status, body: parsed, headers: res.headers };
}

async function waitForStatus(id: string, done: (status: string) => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call('GET', `/v1/negotiations/${id}`);
    if (done(String(res.body.status)) || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('HTTP API', () => {
  it('GET /healthz reports Temporal, the worker and the model server', async () => {
    const res = await call('GET', '/healthz');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'ok');
  });

  it('GET /openapi.json documents the routes with the request schema', async () => {
    const res = await call('GET', '/openapi.json');
    assert.equal(res.body.openapi, '3.1.0');
    const paths = res.body.paths as Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>
    >;
    assert.ok(paths['/v1/negotiations/{id}/cancel']);
    assert.ok(paths['/v1/negotiations/{id}/network']?.post);
    assert.ok(paths['/v1/negotiations/{id}/parties/{partyId}/withdraw']?.post);
    const schema = paths['/v1/negotiations']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(Object.keys(schema.properties).sort(), [
      'arbitration',
      'cellId',
      'maxRounds',
      'optimizerMode',
      'parties',
      'tolerance',
      'topic',
    ]);
  });

  it('starts a negotiation, shows it while running and after, and lists it by status', async () => {
    const created = await call('POST', '/v1/negotiations', validBody());
    assert.equal(created.status, 201);
    const id = String(created.body.id);
    assert.match(id, /^negotiation-/);
    assert.equal(created.headers.get('location'), `/v1/negotiations/${id}`);
    const running = await call('GET', `/v1/negotiations/${id}`);
    assert.equal(running.status, 200);
    assert.ok(Array.isArray(running.body.rounds));
    const done = await waitForStatus(id, (s) => s !== 'running');
    assert.equal(done.body.status, 'consensus', 'hard mode reaches consensus in two rounds');
    assert.ok(
      Math.abs((done.body.consensus as { value: number }).value - (done.body.optimum as { value: number }).value) <=
        0.5,
    );
    const rounds = done.body.rounds as { round: number; values: Record<string, number> }[];
    assert.deepEqual(Object.keys(rounds[0]!.values).sort(), ['bo-1', 'bo-2']);

    let listed = false;
    for (let i = 0; i < 30 && !listed; i++) {
      const list = await call('GET', '/v1/negotiations?status=consensus');
      listed = (list.body.negotiations as { id: string }[]).some((n) => n.id === id);
      if (!listed) await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(listed, 'the visibility store lists it under status=consensus');
    const others = await call('GET', '/v1/negotiations?status=cancelled');
    assert.ok(!(others.body.negotiations as { id: string }[]).some((n) => n.id === id));
  });

  it('tenants: 401 without a valid key; a BO sees only its own part of its negotiations, 403 or 404 elsewhere', async () => {
    assert.equal((await call('GET', '/v1/negotiations', undefined, { authorization: '' })).status, 401);
    assert.equal((await call('GET', '/v1/negotiations', undefined, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await call('POST', '/v1/negotiations', validBody(), authAs('bo-3'))).status, 403);
    const created = await call('POST', '/v1/negotiations', validBody());
    const id = String(created.body.id);
    const done = await waitForStatus(id, (s) => s !== 'running');
    assert.equal(done.body.status, 'consensus');

    const mine = await call('GET', `/v1/negotiations/${id}`, undefined, authAs('bo-1'));
    assert.equal(mine.status, 200);
    const view = mine.body as {
      you: { id: string; target: number };
      parties: Record<string, unknown>[];
      rounds: Record<string, unknown>[];
      consensus: { value: number };
    };
    assert.equal(view.you.id, 'bo-1');
    assert.equal(view.consensus.value, (done.body.consensus as { value: number }).value);
    assert.deepEqual(view.parties, [{ id: 'bo-2', objective: 'qos' }], 'the other party by id and objective only');
    for (const r of view.rounds) {
      assert.deepEqual(
        Object.keys(r).sort(),
        ['bounds', 'decision', 'incentives', 'mediatorProposal', 'round', 'yourReasoning', 'yourValue']
          .filter((k) => k in r)
          .sort(),
      );
      assert.ok(!('values' in r) && !('reasoning' in r) && !('spread' in r));
    }
    const text = JSON.stringify(view);
    assert.ok(!text.includes('"optimum"') && !text.includes('"weight":2'), 'no optimum, no other weight');

    // not a party: the same 404 as an unknown id (no existence oracle)
    assert.equal((await call('GET', `/v1/negotiations/${id}`, undefined, authAs('bo-3'))).status, 404);
    assert.equal((await call('GET', '/v1/negotiations/negotiation-nope', undefined, authAs('bo-3'))).status, 404);
    const listedForBo1 = await call('GET', '/v1/negotiations', undefined, authAs('bo-1'));
    const listedForBo3 = await call('GET', '/v1/negotiations', undefined, authAs('bo-3'));
    for (let i = 0; i < 30 && !(listedForBo1.body.negotiations as { id: string }[]).some((n) => n.id === id); i++) {
      await new Promise((r) => setTimeout(r, 300));
      Object.assign(listedForBo1, await call('GET', '/v1/negotiations', undefined, authAs('bo-1')));
    }
    assert.ok((listedForBo1.body.negotiations as { id: string }[]).some((n) => n.id === id));
    assert.ok(!(listedForBo3.body.negotiations as { id: string }[]).some((n) => n.id === id));
    assert.equal((await call('POST', `/v1/negotiations/${id}/cancel`, {}, authAs('bo-1'))).status, 403);
    assert.equal(
      (await call('POST', `/v1/negotiations/${id}/parties/bo-2/target`, { target: 30 }, authAs('bo-1'))).status,
      403,
    );
    assert.equal(
      (await call('POST', `/v1/negotiations/${id}/network`, { capacityMbps: 10 }, authAs('bo-1'))).status,
      403,
    );
  });

  it('rejects bad input with 400 and the zod issues, starting nothing', async () => {
    const before = await call('GET', '/v1/negotiations?limit=200');
    const cases: [unknown, string][] = [
      [{ ...validBody(), topic: { ...cellTopic, min: 200 } }, 'topic.max'],
      [{ ...validBody(), parties: partiesOf(1) }, 'parties'],
      [
        { ...validBody(), parties: [{ ...(partiesOf(2)[0] as object), personality: 'evil' }, partiesOf(2)[1]] },
        'parties.0.personality',
      ],
      // Numbers bounded to their physical range: a range of ±1.7e308 overflows every sum.
      [{ ...validBody(), topic: { ...cellTopic, min: -1.7e308, max: 1.7e308 } }, 'topic.min'],
      [
        { ...validBody(), parties: [{ ...(partiesOf(2)[0] as object), target: 1e12 }, partiesOf(2)[1]] },
        'parties.0.target',
      ],
      [
        {
          ...validBody(),
          topic: { ...cellTopic, cell: { band: 'n78', channelBandwidthMHz: 1e-300, subcarrierSpacingKHz: 30 } },
        },
        'topic.cell.channelBandwidthMHz',
      ],
      [
        { ...validBody(), parties: [{ ...(partiesOf(2)[0] as object), weight: 1e-300 }, partiesOf(2)[1]] },
        'parties.0.weight',
      ],
      [{ ...validBody(), tolerance: 1e-300 }, 'tolerance'],
      [{ ...validBody(), parties: [partiesOf(2)[0], partiesOf(2)[0]] }, 'parties.1.id'],
      [{ ...validBody(), optimizerMode: 'maybe' }, 'optimizerMode'],
      [{ ...validBody(), extra: true }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await call('POST', '/v1/negotiations', body);
      assert.equal(res.status, 400, `expected 400 for ${path}`);
      const issues = res.body.issues as { path: (string | number)[] }[];
      assert.ok(
        issues.some((i) => i.path.join('.') === path),
        `issue at "${path}" in ${JSON.stringify(issues)}`,
      );
    }
    const malformed = await call('POST', '/v1/negotiations', '{"topic": ');
    assert.equal(malformed.status, 400);
    const afterList = await call('GET', '/v1/negotiations?limit=200');
    assert.equal((afterList.body.negotiations as unknown[]).length, (before.body.negotiations as unknown[]).length);
    const badFilter = await call('GET', '/v1/negotiations?status=sleeping');
    assert.equal(badFilter.status, 400);
  });

  it('a demand outside the topic’s range is a business intent: negotiated at the bound, said in the state and to its BO only', async () => {
    const body = {
      ...validBody(),
      parties: [
        { ...(partiesOf(2)[0] as object), target: 500 },
        { ...(partiesOf(2)[1] as object), target: -20 },
      ],
    };
    const created = await call('POST', '/v1/negotiations', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body.id);
    const state = await call('GET', `/v1/negotiations/${id}`);
    const request = state.body.request as { parties: { id: string; target: number }[] };
    assert.deepEqual(
      request.parties.map((p) => [p.id, p.target]),
      [
        ['bo-1', 134],
        ['bo-2', 0],
      ],
    );
    assert.deepEqual(state.body.cappedDemands, [
      { partyId: 'bo-1', requestedTarget: 500, negotiatedTarget: 134 },
      { partyId: 'bo-2', requestedTarget: -20, negotiatedTarget: 0 },
    ]);
    const mine = await call('GET', `/v1/negotiations/${id}`, undefined, authAs('bo-1'));
    assert.equal(mine.status, 200);
    assert.deepEqual((mine.body.you as { capped: unknown }).capped, {
      partyId: 'bo-1',
      requestedTarget: 500,
      negotiatedTarget: 134,
    });
    // -20 as a JSON number (a UUID in the body may hold "-20" as text: that made this check flaky).
    assert.doesNotMatch(JSON.stringify(mine.body), /[:,[\s]-20(?![\w.])/, 'bo-2’s demand stays private');
    await call('POST', `/v1/negotiations/${id}/cancel`);
  });

  it('is idempotent with an Idempotency-Key, and refuses the key with another body', async () => {
    const key = { 'Idempotency-Key': `idem-${Date.now()}` };
    const first = await call('POST', '/v1/negotiations', validBody(), key);
    const second = await call('POST', '/v1/negotiations', validBody(), key);
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    const clash = await call('POST', '/v1/negotiations', { ...validBody(), maxRounds: 3 }, key);
    assert.equal(clash.status, 409);
    await waitForStatus(String(first.body.id), (s) => s !== 'running');
    const afterDone = await call('POST', '/v1/negotiations', validBody(), key);
    assert.equal(afterDone.body.id, first.body.id, 'still the same negotiation after it finished');
  });

  it('answers 405 with Allow for a method a path does not take, and 415 for a body that is not JSON', async () => {
    const wrong = await call('DELETE', '/v1/negotiations');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error, 'method_not_allowed');
    assert.deepEqual(wrong.headers.get('allow')?.split(', ').sort(), ['GET', 'HEAD', 'POST']);
    const onId = await call('PUT', '/v1/negotiations/negotiation-abc');
    assert.equal(onId.status, 405);
    assert.ok(onId.headers.get('allow')?.includes('GET'));
    const plain = await call('POST', '/v1/negotiations', 'topic=cell', { 'content-type': 'text/plain' });
    assert.equal(plain.status, 415);
    assert.equal(plain.body.error, 'unsupported_media_type');
    assert.equal((await call('GET', '/v1/nothing-here')).status, 404);
  });

  it('answers 404 for unknown ids and parties', async () => {
    assert.equal((await call('GET', '/v1/negotiations/negotiation-does-not-exist')).status, 404);
    assert.equal((await call('GET', '/v1/negotiations/not-an-id')).status, 404);
    assert.equal((await call('POST', '/v1/negotiations/negotiation-nope/cancel')).status, 404);
    assert.equal((await call('GET', '/v1/nothing-here')).status, 404);
  });

  it('changes a party’s target and cancels, with 400/404/409 where they do not apply', async () => {
    const created = await call('POST', '/v1/negotiations', {
      ...validBody(),
      maxRounds: 5,
      tolerance: 0.1,
      optimizerMode: 'off',
    });
    const id = String(created.body.id);
    const changed = await call('POST', `/v1/negotiations/${id}/parties/bo-1/target`, { target: 30 });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.target, 30);
    assert.equal((await call('POST', `/v1/negotiations/${id}/parties/bo-9/target`, { target: 30 })).status, 404);
    // Above the topic's range: a business intent, capped to the range and said so.
    const capped = await call('POST', `/v1/negotiations/${id}/parties/bo-1/target`, { target: 300 });
    assert.equal(capped.status, 200, JSON.stringify(capped.body));
    assert.deepEqual(
      [capped.body.target, capped.body.capped],
      [134, { partyId: 'bo-1', requestedTarget: 300, negotiatedTarget: 134 }],
    );
    assert.equal((await call('POST', `/v1/negotiations/${id}/parties/bo-1/target`, { target: 1e300 })).status, 400);
    assert.equal((await call('POST', `/v1/negotiations/${id}/parties/bo-1/target`, { target: 'high' })).status, 400);
    const cancelled = await call('POST', `/v1/negotiations/${id}/cancel`);
    assert.equal(cancelled.status, 202);
    const done = await waitForStatus(id, (s) => s !== 'running');
    assert.equal(done.body.status, 'cancelled');
    assert.equal((await call('POST', `/v1/negotiations/${id}/cancel`)).status, 409);
    assert.equal((await call('POST', `/v1/negotiations/${id}/parties/bo-1/target`, { target: 40 })).status, 409);
  });

  it('takes network telemetry and withdrawals as signals: 202, 400 on bad input, 404/409 where they do not apply', async () => {
    const created = await call('POST', '/v1/negotiations', {
      ...validBody(),
      topic: { ...cellTopic, min: 5 },
      maxRounds: 6,
      tolerance: 0.01,
      optimizerMode: 'off',
    });
    const id = String(created.body.id);
    const network = await call('POST', `/v1/negotiations/${id}/network`, { capacityMbps: 90, cqi: 10, source: 'test' });
    assert.equal(network.status, 202, JSON.stringify(network.body));
    const bad = await call('POST', `/v1/negotiations/${id}/network`, { capacityMbps: -1, cqi: 16 });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body.issues as { path: string[] }[]).map((i) => i.path.join('.')).sort(), [
      'capacityMbps',
      'cqi',
    ]);
    assert.equal((await call('POST', '/v1/negotiations/negotiation-nope/network', { capacityMbps: 9 })).status, 404);
    assert.equal((await call('POST', `/v1/negotiations/${id}/parties/bo-9/withdraw`, {})).status, 404);
    const withdrawn = await call('POST', `/v1/negotiations/${id}/parties/bo-2/withdraw`, { reason: 'tenant left' });
    assert.equal(withdrawn.status, 202);
    // Two parties minus one: nothing left to negotiate, the negotiation halts with the reason.
    const done = await waitForStatus(id, (s) => s !== 'running');
    assert.equal(done.body.status, 'halted', JSON.stringify(done.body));
    assert.match(String(done.body.reason), /fewer than two parties/);
    const adaptations = done.body.adaptations as { kind: string; message: string }[];
    assert.ok(adaptations.some((a) => a.kind === 'withdrawal' && a.message.includes('tenant left')));
    assert.equal((await call('POST', `/v1/negotiations/${id}/network`, { capacityMbps: 50 })).status, 409);
    const listed = await call('GET', '/v1/negotiations?status=halted');
    assert.ok((listed.body.negotiations as { id: string }[]).some((n) => n.id === id));
  });

  it('reports a negotiation the workflow could not close (terminated, timed out) as failed, with why', async () => {
    const created = await call('POST', '/v1/negotiations', {
      ...validBody(),
      maxRounds: 5,
      tolerance: 0.01,
      optimizerMode: 'off',
    });
    const id = String(created.body.id);
    await waitForStatus(id, (s) => s === 'running'); // its first workflow task has run: state exists
    await env.client.workflow.getHandle(id).terminate('operator stopped it');
    const shown = await call('GET', `/v1/negotiations/${id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.status, 'failed');
    assert.equal(shown.body.reason, 'workflow terminated');
    const listed = await call('GET', '/v1/negotiations?limit=50');
    const item = (listed.body.negotiations as { id: string; status: string; workflowStatus: string }[]).find(
      (n) => n.id === id,
    )!;
    assert.equal(item.status, 'failed');
    assert.equal(item.workflowStatus, 'TERMINATED');
  });
});
