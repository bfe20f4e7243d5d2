/**
 * `npm run bench:faults -- [--negotiations 12] [--workers 2] [--kill-every-s 8] [--outage-every-s 30]
 *                          [--outage-s 8] [--mode soft] [--seed 3] [--timeout-s 900]`
 *
 * Negotiations under faults, on the real stack: a Temporal dev server, N negotiation worker
 * processes under `npm start`'s supervisor, the model server behind a proxy the benchmark can break.
 * While the negotiations run, a seeded chaos loop SIGKILLs a random worker every `kill-every-s`
 * (± 50 %; the supervisor restarts it) and takes the model away every `outage-every-s` for
 * `outage-s` (alternately: every call answered 500, then connections refused). At the end every
 * workflow's history is read: a negotiation that is not closed is lost, an agent turn scheduled
 * twice for the same (round, party) is doubled; both must be 0. Also reported: statuses, turns that
 * ran again after a kill (retried attempts), turns the optimizer decided while the model was away
 * (`llm_unavailable`), p50/p95 wall time. Writes results/faults.json.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadConfig, projectRoot } from '../core/config.ts';
import type { NegotiationState } from '../core/negotiation/types.ts';
import { FlakyProxy } from '../scripts/lib/flaky-proxy.ts';
import { negotiationInput, partiesOf, startTemporal } from '../scripts/lib/stack.ts';
import { Supervisor } from '../scripts/lib/supervisor.ts';
import { ensureModelServer, startService, stopService } from '../scripts/services.ts';
import type { negotiationWorkflow } from '../workflows/negotiation/workflow.ts';
import { lcg, percentile, round, writeResults } from './lib/games.ts';
import { freePort } from '../scripts/lib/free-port.ts';

const { values: args } = parseArgs({
  options: {
    negotiations: { type: 'string', default: '12' },
    workers: { type: 'string', default: '2' },
    'kill-every-s': { type: 'string', default: '8' },
    'outage-every-s': { type: 'string', default: '30' },
    'outage-s': { type: 'string', default: '8' },
    mode: { type: 'string', default: 'soft' },
    seed: { type: 'string', default: '3' },
    'timeout-s': { type: 'string', default: '900' },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'faults.json') },
  },
});
const count = Number(args.negotiations);
const workers = Number(args.workers);
const killEveryMs = Number(args['kill-every-s']) * 1000;
const outageEveryMs = Number(args['outage-every-s']) * 1000;
const outageMs = Number(args['outage-s']) * 1000;
const timeoutMs = Number(args['timeout-s']) * 1000;
const rand = lcg(Number(args.seed));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const config = loadConfig();
const modelServer = await ensureModelServer(config);
const env = await startTemporal();
const proxy = new FlakyProxy(config.model.baseURL);
await proxy.listen();
const taskQueue = config.topology.taskQueues.negotiation;
const log: string[] = [];
// Restarts are the point here: the supervisor never gives up during the benchmark.
const supervisor = new Supervisor({ initialBackoffMs: 500, maxRestarts: 10_000, log: (line) => log.push(line) });
try {
  for (let w = 0; w < workers; w++) {
    const workerEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: config.namespace,
      OPENAI_BASE_URL: proxy.url(),
      // Only the chat model goes through the proxy; the context units' embeddings stay up.
      MAESTRO_EMBEDDINGS_BASE_URL: config.embeddings.baseURL,
      MAESTRO_LLM_MODEL: config.model.model,
      MAESTRO_ARBITRAL_JUDGE: 'off',
      MAESTRO_LOG_LEVEL: 'ERROR',
      MAESTRO_METRICS_PORT: String(await freePort()),
    };
    supervisor.add(`worker-${w + 1}`, () =>
      startService(`worker-${w + 1}`, process.execPath, ['workers/negotiation-worker.ts'], workerEnv),
    );
  }

  const startedAt = Date.now();
  const handles = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      env.client.workflow.start<typeof negotiationWorkflow>('negotiationWorkflow', {
        taskQueue,
        workflowId: `negotiation-faults-${i + 1}-${startedAt}`,
        args: [
          negotiationInput({
            topic: { name: 'throughput of shared cell A', unit: 'Mbps', min: 0, max: 134 },
            parties: partiesOf(2 + (i % 2)),
            maxRounds: 5,
            tolerance: 1,
            optimizerMode: args.mode,
          }),
        ],
      }),
    ),
  );
  const walls = new Map<string, number>();
  const results = new Map<string, NegotiationState | Error>();
  const settled = Promise.all(
    handles.map((h) =>
      h.result().then(
        (state) => {
          results.set(h.workflowId, state);
          walls.set(h.workflowId, (Date.now() - startedAt) / 1000);
        },
        (err: unknown) => {
          results.set(h.workflowId, err instanceof Error ? err : new Error(String(err)));
          walls.set(h.workflowId, (Date.now() - startedAt) / 1000);
        },
      ),
    ),
  );

  // The chaos loop: kills and model outages until every negotiation has closed (or the timeout).
  let kills = 0;
  let outages = 0;
  let nextKill = Date.now() + killEveryMs * (0.5 + rand());
  let nextOutage = Date.now() + outageEveryMs * (0.5 + rand());
  let outageEnds = 0;
  const deadline = startedAt + timeoutMs;
  while (results.size < count && Date.now() < deadline) {
    const now = Date.now();
    if (now >= nextKill) {
      const name = `worker-${1 + Math.floor(rand() * workers)}`;
      const service = supervisor.current(name);
      if (service && service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        kills += 1;
        process.stderr.write(`[faults] ${round((now - startedAt) / 1000, 1)} s: SIGKILL ${name}\n`);
      }
      nextKill = now + killEveryMs * (0.5 + rand());
    }
    if (outageEnds === 0 && now >= nextOutage) {
      outages += 1;
      if (outages % 2 === 1) proxy.mode = 'error500';
      else await proxy.stop();
      outageEnds = now + outageMs;
      process.stderr.write(
        `[faults] ${round((now - startedAt) / 1000, 1)} s: model ${outages % 2 === 1 ? 'answers 500' : 'gone'}\n`,
      );
    }
    if (outageEnds !== 0 && now >= outageEnds) {
      proxy.mode = 'forward';
      if (!proxy.listening) await proxy.listen(proxy.port);
      outageEnds = 0;
      nextOutage = now + outageEveryMs * (0.5 + rand());
    }
    await sleep(250);
  }
  proxy.mode = 'forward';
  if (!proxy.listening) await proxy.listen(proxy.port);
  await Promise.race([settled, sleep(Math.max(0, deadline - Date.now()))]);

  // Every history: doubled turns (the same activity for the same round and party scheduled twice).
  let doubled = 0;
  let retried = 0;
  let turns = 0;
  for (const h of handles) {
    const history = await h.fetchHistory();
    const keys = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name?.startsWith('run'))
      .map((e) => {
        const attrs = e.activityTaskScheduledEventAttributes!;
        const input = defaultPayloadConverter.fromPayload<{ round: number; party?: { id: string } }>(
          attrs.input!.payloads![0]!,
        );
        return `${attrs.activityType!.name}/${input.round}/${input.party?.id ?? 'maestro'}`;
      });
    turns += keys.length;
    doubled += keys.length - new Set(keys).size;
    retried += (history.events ?? []).filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
  }
  const states = [...results.values()].filter((r): r is NegotiationState => !(r instanceof Error));
  const statuses: Record<string, number> = {};
  for (const r of results.values()) {
    const s = r instanceof Error ? 'workflow_failed' : r.status;
    statuses[s] = (statuses[s] ?? 0) + 1;
  }
  const substitutedTurns = states
    .flatMap((s) => s.rounds.flatMap((r) => r.warnings))
    .filter((w) => w.code === 'llm_unavailable').length;
  const running: string[] = [];
  for (const h of handles) if ((await h.describe()).status.name === 'RUNNING') running.push(h.workflowId);
  const wallS = [...walls.values()];
  const restarts = Object.values(supervisor.status()).reduce((n, s) => n + s.restarts, 0);

  const summary = {
    negotiations: count,
    closed: results.size,
    lost: count - results.size,
    stillRunning: running.length,
    doubledTurns: doubled,
    statuses,
    turnsScheduled: turns,
    retriedAttempts: retried,
    substitutedTurns,
    kills,
    workerRestarts: restarts,
    modelOutages: outages,
    wallS: {
      p50: round(percentile(wallS, 50), 1),
      p95: round(percentile(wallS, 95), 1),
      max: round(Math.max(...wallS), 1),
    },
  };
  console.log(JSON.stringify(summary, null, 2));
  writeResults(args.out, {
    command: `npm run bench:faults -- ${process.argv.slice(2).join(' ')}`.trim(),
    model: config.model.model,
    settings: {
      workers,
      killEveryS: killEveryMs / 1000,
      outageEveryS: outageEveryMs / 1000,
      outageS: outageMs / 1000,
      mode: args.mode,
      seed: Number(args.seed),
    },
    ...summary,
    supervisorLog: log.slice(-40),
  });
  if (summary.lost > 0 || summary.doubledTurns > 0 || summary.stillRunning > 0) process.exitCode = 1;
} finally {
  await supervisor.stopAll();
  await proxy.stop();
  await env.teardown();
  if (modelServer) await stopService(modelServer);
}
