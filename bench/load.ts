/**
 * `npm run bench:load -- [--negotiations 50] [--mode hard] [--timeout-s 1800]`
 *
 * Many negotiations at once through the HTTP API, on the real stack: a Temporal dev server, the
 * model server (llama-server behind the front), the negotiation worker with every contextual unit,
 * the API with an operator key. Starts N two-party negotiations at once with POST /v1/negotiations,
 * polls each with GET until it is terminal, then checks Temporal's visibility: every started workflow
 * is closed, none is still running, none is missing. Reports how many finished, consensus count and
 * p50/p95 wall time. Writes results/load.json.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../api/app.ts';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createChatModel } from '../core/llm/chat-model.ts';
import { referenceCell } from '../core/network/slice-operator.ts';
import { hashApiKey, TenantDirectory } from '../core/tenants/tenants.ts';
import { ensureModelServer, stopService } from '../scripts/services.ts';
import { negotiationWorker, startTemporal } from '../scripts/lib/stack.ts';
import { lcg, percentile, readyContextUnits, round, sharedStationTopic, writeResults } from './lib/games.ts';

const { values: args } = parseArgs({
  options: {
    negotiations: { type: 'string', default: '50' },
    mode: { type: 'string', default: 'hard' },
    'timeout-s': { type: 'string', default: '1800' },
    seed: { type: 'string', default: '7' },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'load.json') },
  },
});
const count = Number(args.negotiations);
const mode = args.mode;
const timeoutMs = Number(args['timeout-s']) * 1000;
const terminal = new Set(['consensus', 'no_consensus', 'halted', 'failed', 'cancelled']);

const config = loadConfig();
const modelServer = await ensureModelServer(config);
const env = await startTemporal();
try {
  const chatModel = createChatModel(config.model);
  const contextUnits = await readyContextUnits(config, chatModel);
  const worker = await negotiationWorker(env, config.topology.taskQueues.negotiation, chatModel, { contextUnits });
  const key = randomBytes(16).toString('hex');
  const tenants = new TenantDirectory({
    tenants: [{ id: 'operator', name: 'operator', role: 'operator', apiKeySha256: hashApiKey(key), weight: 1 }],
  });
  const api = createApp(env.client, config, {
    tenants,
    cells: new Map([[referenceCell.cellId, referenceCell]]),
  }).listen(0, '127.0.0.1');
  await new Promise((r) => api.once('listening', r));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const call = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${route} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };

  const rng = lcg(Number(args.seed));
  const outcome = await worker.runUntil(async () => {
    const started = Date.now();
    // All N at once: the API starts N workflows, the worker runs their turns concurrently.
    const runs = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const cost = round(10 + rng() * 50, 1);
        const qos = round(60 + rng() * 70, 1);
        const body = {
          topic: sharedStationTopic,
          parties: [
            { id: 'bo-cost', objective: 'cost', target: cost },
            { id: 'bo-qos', objective: 'qos', target: qos },
          ],
          maxRounds: 5,
          tolerance: 2,
          optimizerMode: mode,
        };
        const postedAt = Date.now();
        const { id } = (await call('POST', '/v1/negotiations', body)) as { id: string };
        return { i, id: String(id), postedAt };
      }),
    );
    process.stderr.write(`[load] ${runs.length} negotiations started in ${Date.now() - started} ms\n`);
    const done = new Map<string, { status: string; wallS: number; rounds: number }>();
    while (done.size < runs.length && Date.now() - started < timeoutMs) {
      await new Promise((r) => setTimeout(r, 2000));
      for (const run of runs) {
        if (done.has(run.id)) continue;
        const state = (await call('GET', `/v1/negotiations/${run.id}`)) as { status: string; rounds: unknown[] };
        if (terminal.has(state.status)) {
          done.set(run.id, {
            status: state.status,
            wallS: (Date.now() - run.postedAt) / 1000,
            rounds: state.rounds.length,
          });
        }
      }
      process.stderr.write(
        `[load] ${done.size}/${runs.length} terminal after ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
    }
    // Temporal's own view: every workflow we started is closed, none running, none missing.
    const ids = new Set(runs.map((r) => r.id));
    const seen = new Map<string, string>();
    for await (const wf of env.client.workflow.list({ query: 'WorkflowType = "negotiationWorkflow"' })) {
      if (ids.has(wf.workflowId)) seen.set(wf.workflowId, wf.status.name);
    }
    return { runs, done, seen, totalS: (Date.now() - started) / 1000 };
  });
  api.close();

  const finals = [...outcome.done.values()];
  const walls = finals.map((f) => f.wallS);
  const visibility = [...outcome.seen.values()];
  const report = {
    negotiations: count,
    mode,
    terminal: finals.length,
    consensus: finals.filter((f) => f.status === 'consensus').length,
    byStatus: Object.fromEntries([...terminal].map((s) => [s, finals.filter((f) => f.status === s).length])),
    wallSeconds: {
      p50: round(percentile(walls, 50), 1),
      p95: round(percentile(walls, 95), 1),
      max: round(Math.max(...walls), 1),
    },
    totalSeconds: round(outcome.totalS, 1),
    meanRounds: round(finals.reduce((s, f) => s + f.rounds, 0) / Math.max(1, finals.length), 2),
    temporal: {
      seen: outcome.seen.size,
      missing: count - outcome.seen.size,
      running: visibility.filter((s) => s === 'RUNNING').length,
      completed: visibility.filter((s) => s === 'COMPLETED').length,
    },
  };
  writeResults(args.out, {
    command: `npm run bench:load -- --negotiations ${count} --mode ${mode}`,
    model: config.model.model,
    ...report,
  });
  console.log(JSON.stringify(report, null, 2));
  process.exitCode =
    report.terminal === count && report.temporal.missing === 0 && report.temporal.running === 0 ? 0 : 1;
} finally {
  await env.teardown();
  if (modelServer) await stopService(modelServer);
}
