/**
 * The API fuzzed from its own OpenAPI document with schemathesis (PyPI), as an outside probe would:
 * generated and mutated requests for every operation, as the operator, against the real app on a
 * real Temporal dev server (no workers: started workflows just wait, and queries answer 503 after
 * 1 s). Asserts that every response has a documented status (so no 500), content type and body schema. Bounded: a fixed seed and a
 * fixed number of examples per operation (about a minute on 2 cores, ~900 requests).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../api/app.ts';
import { loadCells } from '../../core/network/cells.ts';
import { venvBin } from '../../scripts/services.ts';
import { config, startTemporal } from '../helpers/stack.ts';
import { apiKeys, testTenants } from '../helpers/tenants.ts';

let env: TestWorkflowEnvironment;
let server: Server;
let base: string;
before(async () => {
  env = await startTemporal();
  server = createApp(env.client, config, {
    tenants: testTenants,
    cells: loadCells(null),
    sixgOrchestrationWaitMs: 200,
    // no worker runs here: a query or update answers 503 after 1 s instead of 10
    workerAnswerMs: 1000,
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server?.close();
  await env?.teardown();
});

it('schemathesis over /openapi.json: no 5xx, every response as documented', async (t) => {
  // spawned, not spawnSync: the API under test answers from this process's event loop
  const child = spawn(
    venvBin('schemathesis'),
    [
      'run',
      `${base}/openapi.json`,
      '--checks',
      // a 500 is never documented, so status_code_conformance catches it; a documented 503 (no worker
      // answered) is the right answer here, which not_a_server_error would count as a failure
      'status_code_conformance,content_type_conformance,response_schema_conformance',
      '--header',
      `Authorization: Bearer ${apiKeys.operator}`,
      '--max-examples',
      '12',
      '--seed',
      '20261203',
      '--workers',
      '1',
      // /healthz answers 503 here by design: no worker and no model server run in this test
      '--exclude-path',
      '/healthz',
      '--request-timeout',
      '20',
    ],
    // its own working directory: schemathesis keeps a cache (.schemathesis/) where it runs
    { cwd: mkdtempSync(path.join(os.tmpdir(), 'api-fuzz-')), env: { ...process.env, NO_COLOR: '1' } },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, output.slice(-8000));
  // what it covered, in the test report: generated cases, stateful scenarios, links followed
  for (const line of output.split('\n')) if (/generated|Scenarios:|API Links:/.test(line)) t.diagnostic(line.trim());
});
