/**
 * The slice operator's enforcement over A1AP v2: against the emulated RAN on the standard paths
 * (create, status read back, stale policies removed, a RIC restart healed by the sync), and against
 * RICs that fail (5xx/timeouts retryable, refusals non-retryable, a missing policy type named).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { A1RequestError, createA1Client } from '../../activities/network/a1-client.ts';
import { createEnforcementActivities } from '../../activities/network/enforcement.ts';
import { createSouthbound } from '../../activities/network/southbound.ts';
import { referenceCell } from '../../core/network/slice-operator.ts';
import { EmulatedRan } from '../../ran-emulator/ran.ts';
import { scriptedTrace } from '../../ran-emulator/synthetic.ts';
import { startRanServer, type RanServer } from '../../ran-emulator/server.ts';

const cell = referenceCell;
const typeId = 'ORAN_SliceSLATarget_1.0.0';
const tenants = [
  { tenantId: 'bo-1', weight: 1 },
  { tenantId: 'bo-2', weight: 1 },
];

describe('enforcement over A1AP v2 on the emulated RAN', () => {
  let ran: EmulatedRan;
  let server: RanServer;
  let activities: ReturnType<typeof createEnforcementActivities>;

  before(async () => {
    ran = new EmulatedRan();
    ran.addCell(cell, scriptedTrace([{ durationS: 5, cqi: 13 }]));
    server = await startRanServer({ ran, port: 0 });
    const { ran: ranClient, a1 } = createSouthbound(server.url);
    activities = createEnforcementActivities(ranClient, a1);
  });
  after(async () => {
    await server.close();
  });

  it('puts one policy per slice, then the network intent, and reads each policy’s status back', async () => {
    const result = await activities.enforceCellThroughput({ cell, cqi: 13, throughputMbps: 60, tenants });
    assert.deepEqual(result.a1PolicyIds, ['cell-n78-a.bo-1', 'cell-n78-a.bo-2']);
    assert.deepEqual(result.a1Status, {
      'cell-n78-a.bo-1': { enforceStatus: 'ENFORCED' },
      'cell-n78-a.bo-2': { enforceStatus: 'ENFORCED' },
    });
    assert.deepEqual(result.a1Removed, []);
    assert.deepEqual(ran.a1PolicyIds(), result.a1PolicyIds);
    assert.deepEqual(ran.status(cell.cellId).intent, result.networkIntent);
  });

  it('deletes this cell’s policy for a slice that left the plan, and leaves other cells’ policies alone', async () => {
    const a1 = createA1Client(server.url);
    const elsewhere = ran.getA1Policy('cell-n78-a.bo-2')!;
    await a1.putPolicy(typeId, 'cell-other.bo-9', elsewhere);
    const result = await activities.enforceCellThroughput({
      cell,
      cqi: 13,
      throughputMbps: 40,
      tenants: [tenants[0]!],
    });
    assert.deepEqual(result.a1Removed, ['cell-n78-a.bo-2']);
    assert.deepEqual(ran.a1PolicyIds().sort(), ['cell-n78-a.bo-1', 'cell-other.bo-9']);
    assert.equal(await a1.deletePolicy(typeId, 'cell-other.bo-9'), true);
    assert.equal(await a1.deletePolicy(typeId, 'cell-other.bo-9'), false, 'a second delete finds nothing');
  });

  it('after a RIC restart, the sync sends the lost policies again; a tampered policy is replaced', async () => {
    const enforced = await activities.enforceCellThroughput({ cell, cqi: 13, throughputMbps: 60, tenants });
    const before = enforced.a1PolicyIds.map((id) => ran.getA1Policy(id));
    ran.restartRic();
    assert.deepEqual(ran.a1PolicyIds(), []);
    const healed = await activities.syncA1Policies({ cell, networkIntent: enforced.networkIntent });
    assert.deepEqual(healed.resent, enforced.a1PolicyIds);
    assert.deepEqual(healed.repaired, []);
    assert.deepEqual(
      enforced.a1PolicyIds.map((id) => ran.getA1Policy(id)),
      before,
      'the RIC holds exactly what it lost',
    );
    assert.equal(healed.a1Status['cell-n78-a.bo-1']?.enforceStatus, 'ENFORCED');

    const quiet = await activities.syncA1Policies({ cell, networkIntent: enforced.networkIntent });
    assert.deepEqual([quiet.resent, quiet.repaired], [[], []], 'nothing to do when the RIC holds the plan');

    const tampered = structuredClone(before[0]!);
    tampered.sliceSlaObjectives.maxDlThptPerSlice = 1;
    ran.putA1Policy('cell-n78-a.bo-1', tampered);
    const repaired = await activities.syncA1Policies({ cell, networkIntent: enforced.networkIntent });
    assert.deepEqual(repaired.repaired, ['cell-n78-a.bo-1']);
    assert.deepEqual(ran.getA1Policy('cell-n78-a.bo-1'), before[0]);
  });
});

/** A RIC that answers every request with the scripted status (and a ProblemDetails body), or never. */
async function scriptedRic(answer: (req: http.IncomingMessage) => { status: number; body?: unknown } | 'hang') {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const a = answer(req);
    if (a === 'hang') return;
    res.writeHead(a.status, { 'content-type': a.status >= 400 ? 'application/problem+json' : 'application/json' });
    res.end(a.body === undefined ? '' : JSON.stringify(a.body));
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('enforcement against RICs that fail', () => {
  const enforceOn = async (url: string, timeoutMs = 2_000) => {
    const { ran } = createSouthbound('http://127.0.0.1:1');
    return createEnforcementActivities(ran, createA1Client(url, timeoutMs)).enforceCellThroughput({
      cell,
      cqi: 13,
      throughputMbps: 60,
      tenants,
    });
  };
  const isRetryable = (err: unknown): boolean => !(err instanceof ApplicationFailure && err.nonRetryable);

  it('a RIC that is overloaded (503) or down fails retryably, with the RIC’s problem detail', async () => {
    const ric = await scriptedRic(() => ({
      status: 503,
      body: { title: 'Service Unavailable', status: 503, detail: 'policy store syncing' },
    }));
    try {
      await assert.rejects(enforceOn(ric.url), (err: unknown) => {
        assert.ok(err instanceof A1RequestError);
        assert.ok(isRetryable(err));
        assert.match(err.message, /answered 503: Service Unavailable: policy store syncing/);
        return true;
      });
    } finally {
      await ric.close();
    }
    await assert.rejects(enforceOn(ric.url), (err: unknown) => err instanceof A1RequestError && err.status === null);
  });

  it('a RIC that does not answer in time fails retryably', async () => {
    const ric = await scriptedRic(() => 'hang');
    try {
      await assert.rejects(enforceOn(ric.url, 200), (err: unknown) => {
        assert.ok(err instanceof A1RequestError && isRetryable(err));
        assert.match(err.message, /failed: .*(timeout|aborted)/i);
        return true;
      });
    } finally {
      await ric.close();
    }
  });

  it('a RIC that refuses the policy (400) fails without retries, naming why', async () => {
    const ric = await scriptedRic((req) =>
      req.url === '/A1-P/v2/policytypes'
        ? { status: 200, body: [typeId] }
        : { status: 400, body: { title: 'Bad Request', status: 400, detail: 'sliceSlaObjectives out of range' } },
    );
    try {
      await assert.rejects(enforceOn(ric.url), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.nonRetryable, true);
        assert.equal(err.type, 'A1Rejected');
        assert.match(
          err.message,
          /PUT \/A1-P\/v2\/policytypes\/ORAN_SliceSLATarget_1\.0\.0\/policies\/cell-n78-a\.bo-1/,
        );
        assert.match(err.message, /sliceSlaObjectives out of range/);
        return true;
      });
    } finally {
      await ric.close();
    }
  });

  it('a RIC without the ORAN_SliceSLATarget policy type is named at discovery, before any policy is sent', async () => {
    const seen: string[] = [];
    const ric = await scriptedRic((req) => {
      seen.push(`${req.method} ${req.url}`);
      return { status: 200, body: ['ORAN_TrafficSteeringPreference_2.0.0'] };
    });
    try {
      await assert.rejects(enforceOn(ric.url), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure && err.nonRetryable && err.type === 'A1PolicyTypeMissing');
        assert.match(err.message, /offers: ORAN_TrafficSteeringPreference_2\.0\.0/);
        return true;
      });
      assert.deepEqual(seen, ['GET /A1-P/v2/policytypes']);
    } finally {
      await ric.close();
    }
  });
});
