/**
 * `npm run usecase:sla -- --trace <csv>` (or `--synthetic fig5`): the MAESTRO paper's SLA use case
 * (Section V, Figs. 4–5) end to end on the real stack — a Temporal dev server, the local model
 * server, the negotiation worker with every contextual unit, the emulated RAN over HTTP, the API
 * with one API key per BO. The BOs state their intents through the intent API; the RAN replays the
 * trace (accelerated by --speed) and reports to the cell session, which negotiates, enforces,
 * renegotiates, switches the cell off and on. Writes a JSON timeline and a Fig. 5-like PNG.
 *
 *   --trace <csv> | --synthetic fig5|drive-by   the channel (default: fig5)
 *   --speed <x>        emulated seconds per wall second (default 2: a 2-BO negotiation on the
 *                      local 135M model takes ~15–30 s of wall time, i.e. 30–60 emulated s)
 *   --duration <s>     cut the trace (default: all of it)
 *   --bos 2|3          BOs sharing the cell (default 2)
 *   --toxic-at <s>     when bo-basic turns toxic (default: a third of the trace; 190 s for fig5)
 *   --aggressive-at <s> when every BO turns disagreeable (default: two thirds; 390 s for fig5)
 *   --approval <s>     the operator requires approval of each consensus (durable timer of <s>
 *                      workflow seconds, then approve); the script, as the operator, approves each
 *                      pending consensus after --approve-after emulated seconds (default 6)
 *   --ric-restart-at <s> the near-RT RIC restarts and loses its A1 policies (the session re-sends them)
 *   --ran-fault-at <s> a RAN-side fault: the cell's PRB split is cut to a third behind the slice
 *                      operator's back (the session reverts to the previous plan and renegotiates)
 *   --twin-margin <dB> each plan is checked on the Sionna twin before enforcement (a twin worker runs
 *                      beside the stack, as in npm start) at the CQI's SINR less this margin (default 0)
 *   --out <prefix>     default results/usecase-sla (→ .json and .png)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createSouthbound } from '../activities/network/southbound.ts';
import { createApp } from '../api/app.ts';
import { loadConfig, projectRoot } from '../core/config.ts';
import type { IntentBodyInput } from '../core/intents/schemas.ts';
import { createChatModel } from '../core/llm/chat-model.ts';
import { referenceCellId } from '../core/network/cells.ts';
import type { TelemetryReport } from '../core/network/contracts.ts';
import { referenceCell } from '../core/network/slice-operator.ts';
import { hashApiKey, TenantDirectory } from '../core/tenants/tenants.ts';
import { ReplayClock } from '../ran-emulator/clock.ts';
import { chooseTrace } from '../ran-emulator/main.ts';
import { EmulatedRan } from '../ran-emulator/ran.ts';
import { startRanServer } from '../ran-emulator/server.ts';
import { temporalTelemetrySink } from './lib/cell-telemetry.ts';
import { writeResults } from './lib/results.ts';
import { negotiationWorker, readyContextUnits, startTemporal, startTwinWorker } from './lib/stack.ts';
import { cellSessionIdOf } from '../workflows/cell-session/ids.ts';
import { cellSessionStateQuery } from '../workflows/cell-session/messages.ts';
import type { CellSessionState } from '../workflows/cell-session/types.ts';
import { defaultCellSessionPolicy, type CellSessionPolicy } from '../workflows/cell-session/triggers.ts';
import { ensureModelServer, stopService, venvBin } from './services.ts';

const { values } = parseArgs({
  options: {
    trace: { type: 'string' },
    synthetic: { type: 'string' },
    speed: { type: 'string', default: '2' },
    duration: { type: 'string' },
    bos: { type: 'string', default: '2' },
    'toxic-at': { type: 'string' },
    'aggressive-at': { type: 'string' },
    out: { type: 'string', default: 'results/usecase-sla' },
    approval: { type: 'string' },
    'approve-after': { type: 'string', default: '6' },
    'ric-restart-at': { type: 'string' },
    'ran-fault-at': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'twin-margin': { type: 'string', default: '0' },
  },
});

const speed = Number(values.speed);
const boCount = Number(values.bos);
if (!(speed > 0) || ![2, 3].includes(boCount)) throw new Error('--speed must be positive and --bos 2 or 3');

/** The BOs of the paper's Fig. 4: premium video wants ≥ 100 Mbps, the basic service ≤ 20 Mbps to pay less. */
const bos: { id: string; name: string; condition: string; mbps: number; floorMbps: number; text: string }[] = [
  {
    id: 'bo-premium',
    name: 'Premium video',
    condition: 'IS_EQUAL_TO_OR_GREATER_THAN',
    mbps: 100,
    floorMbps: 20,
    text: 'premium video for paying users; below 20 Mbps the service is useless',
  },
  {
    id: 'bo-basic',
    name: 'Low-cost basic',
    condition: 'IS_EQUAL_TO_OR_LESS_THAN',
    mbps: 20,
    floorMbps: 15,
    text: 'cheap basic service; pay as little as possible',
  },
  {
    id: 'bo-iot',
    name: 'IoT telemetry',
    condition: 'IS_EQUAL_TO_OR_GREATER_THAN',
    mbps: 40,
    floorMbps: 15,
    text: 'fleet telemetry and video snippets',
  },
].slice(0, boCount);

const intentOf = (bo: (typeof bos)[number]): IntentBodyInput => ({
  userLabel: `${bo.name} on ${referenceCellId}`,
  description: bo.text,
  intentExpectations: [
    {
      expectationId: 'cell-throughput',
      expectationVerb: 'DELIVER',
      expectationObject: { objectType: 'RAN_SubNetwork', objectInstance: referenceCellId },
      expectationTargets: [
        { targetName: 'AveDLRANUEThpt', targetCondition: bo.condition as 'IS_GREATER_THAN', targetValueRange: bo.mbps },
      ],
    },
  ],
  agent: { personality: 'normal', switchOffBelowMbps: bo.floorMbps },
});

interface Poll {
  tS: number;
  consensusMbps: number | null;
  phase: CellSessionState['phase'];
  negotiating: boolean;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const trace = chooseTrace(
    {
      ...(values.trace ? { trace: path.resolve(values.trace) } : {}),
      synthetic: values.synthetic ?? 'fig5',
      seed: Number(values.seed),
    },
    0,
  );
  const durationS = values.duration ? Number(values.duration) : trace.meta.durationS;
  trace.samples = trace.samples.filter((s) => s.tS < durationS);
  const isFig5 = !values.trace && (values.synthetic ?? 'fig5') === 'fig5';
  const toxicAtS = Number(values['toxic-at'] ?? (isFig5 ? 190 : Math.round(durationS / 3)));
  const aggressiveAtS = Number(values['aggressive-at'] ?? (isFig5 ? 390 : Math.round((2 * durationS) / 3)));
  const policy: CellSessionPolicy = { ...defaultCellSessionPolicy, optimizerMode: 'soft' };

  const modelServer = await ensureModelServer(config);
  const env = await startTemporal();
  const ran = new EmulatedRan({ onTraceEnd: 'stop' });
  ran.addCell(referenceCell, trace);
  const ranServer = await startRanServer({ ran, port: 0 });
  const twinTaskQueue = 'usecase-sla-twin';
  const twin = startTwinWorker(env, twinTaskQueue);
  try {
    const chatModel = createChatModel(config.model);
    const contextUnits = await readyContextUnits(config, chatModel);
    const worker = await negotiationWorker(
      env,
      config.topology.taskQueues.negotiation,
      chatModel,
      { contextUnits },
      createSouthbound(ranServer.url),
    );
    // Fresh keys per run: the use case talks to its own API like any tenant would.
    const keys = Object.fromEntries(
      ['operator', ...bos.map((b) => b.id)].map((id) => [id, randomBytes(16).toString('hex')]),
    );
    const tenants = new TenantDirectory({
      tenants: Object.entries(keys).map(([id, key]) => ({
        id,
        name: id,
        role: id === 'operator' ? ('operator' as const) : ('bo' as const),
        apiKeySha256: hashApiKey(key),
        weight: 1,
      })),
    });
    const api = createApp(env.client, config, {
      tenants,
      cells: new Map([[referenceCell.cellId, referenceCell]]),
      cellSessionPolicy: policy,
      twinCheck: { taskQueue: twinTaskQueue, sinrMarginDb: Number(values['twin-margin']) },
    }).listen(0, '127.0.0.1');
    await new Promise((r) => api.once('listening', r));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const call = async (tenant: string, method: string, route: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${keys[tenant]}`,
          'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${route} → ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };

    const reports: TelemetryReport[] = [];
    const polls: Poll[] = [];
    const scripted: { tS: number; what: string }[] = [];
    const started = Date.now();
    let final: CellSessionState | null = null as CellSessionState | null;
    await worker.runUntil(async () => {
      const intentIds: Record<string, string> = {};
      for (const bo of bos) intentIds[bo.id] = String((await call(bo.id, 'POST', '/v1/intents', intentOf(bo))).id);
      const sink = temporalTelemetrySink(env.client);
      let ended = false;
      const clock = new ReplayClock({
        ran,
        speed,
        sink: async (report) => {
          reports.push(report);
          await sink.send(report);
        },
        onEnded: () => (ended = true),
      });
      const session = env.client.workflow.getHandle(cellSessionIdOf(referenceCell.cellId));
      clock.start();
      let toxicDone = false;
      let aggressiveDone = false;
      let ricRestartAtS = values['ric-restart-at'] === undefined ? null : Number(values['ric-restart-at']);
      let ranFaultAtS = values['ran-fault-at'] === undefined ? null : Number(values['ran-fault-at']);
      const approveAfterS = Number(values['approve-after']);
      const pendingSeen = new Map<string, number>();
      if (values.approval !== undefined) {
        await call('operator', 'PUT', `/v1/cells/${referenceCellId}/approval-policy`, {
          required: true,
          timeoutS: Number(values.approval),
          onTimeout: 'approve',
        });
        scripted.push({ tS: 0, what: 'operator requires approval' });
      }
      let lastProgress = 0;
      while (!ended) {
        await new Promise((r) => setTimeout(r, 250));
        const state = await session.query(cellSessionStateQuery);
        const tS = state.telemetry.at(-1)?.tS ?? 0;
        polls.push({
          tS,
          consensusMbps: state.consensusMbps,
          phase: state.phase,
          negotiating: state.activeNegotiationId !== null,
        });
        // The paper's script: a BO turns toxic as conditions worsen; later everyone plays hard.
        if (!toxicDone && tS >= toxicAtS) {
          toxicDone = true;
          await call('bo-basic', 'PATCH', `/v1/intents/${intentIds['bo-basic']}`, { agent: { personality: 'toxic' } });
          scripted.push({ tS, what: 'bo-basic turns toxic' });
        }
        if (!aggressiveDone && tS >= aggressiveAtS) {
          aggressiveDone = true;
          for (const bo of bos) {
            await call(bo.id, 'PATCH', `/v1/intents/${intentIds[bo.id]}`, { agent: { personality: 'disagreeable' } });
          }
          scripted.push({ tS, what: 'every BO turns disagreeable' });
        }
        // The operator: approves each consensus that waits for it, after a while.
        const pending = state.pendingApproval;
        if (pending) {
          const seenAt = pendingSeen.get(pending.negotiationId) ?? tS;
          pendingSeen.set(pending.negotiationId, seenAt);
          if (tS - seenAt >= approveAfterS) {
            await call('operator', 'POST', `/v1/cells/${referenceCellId}/approval`, {
              negotiationId: pending.negotiationId,
              decision: 'approve',
            }).catch(() => undefined); // decided meanwhile (the timer, or superseded)
          }
        }
        if (ricRestartAtS !== null && tS >= ricRestartAtS) {
          ran.restartRic();
          scripted.push({ tS, what: 'RIC restarts (A1 policies lost)' });
          ricRestartAtS = null;
        }
        if (ranFaultAtS !== null && tS >= ranFaultAtS) {
          const running = ran.status(referenceCell.cellId).intent;
          if (running) {
            // Behind the slice operator's back: each slice keeps a third of its PRBs.
            ran.enforce({ ...running, slices: running.slices.map((x) => ({ ...x, prbs: Math.floor(x.prbs / 3) })) });
            scripted.push({ tS, what: 'RAN fault: PRBs cut to a third' });
            ranFaultAtS = null;
          }
        }
        if (Date.now() - lastProgress > 5000) {
          lastProgress = Date.now();
          process.stderr.write(
            `[usecase] t=${tS}/${durationS} s CQI ${state.telemetry.at(-1)?.cqi ?? '-'} phase ${state.phase}` +
              ` consensus ${state.consensusMbps?.toFixed(1) ?? '-'} Mbps, negotiations ${state.negotiations.length}` +
              `${state.activeNegotiationId ? ' (one running)' : ''}, wall ${Math.round((Date.now() - started) / 1000)} s\n`,
          );
        }
      }
      clock.stop();
      // Queried while the worker still runs: a query is answered by a worker.
      final = await session.query(cellSessionStateQuery);
    });
    api.close();
    if (!final) throw new Error('the session state was never read');
    writeTimeline(reports, polls, final, scripted, {
      speed,
      durationS,
      toxicAtS,
      aggressiveAtS,
      policy,
      wallS: (Date.now() - started) / 1000,
      model: config.model.model,
      traceSource: trace.meta.source,
    });
  } finally {
    twin.kill('SIGTERM');
    await ranServer.close();
    await env.teardown();
    if (modelServer) await stopService(modelServer);
  }
}

function writeTimeline(
  reports: TelemetryReport[],
  polls: Poll[],
  final: CellSessionState,
  scripted: { tS: number; what: string }[],
  meta: {
    speed: number;
    durationS: number;
    toxicAtS: number;
    aggressiveAtS: number;
    policy: CellSessionPolicy;
    wallS: number;
    model: string;
    traceSource: string;
  },
): void {
  // The session's state as last seen at or before each report (polls are ordered in time).
  let p = 0;
  const timeline = reports.map((r) => {
    while (p + 1 < polls.length && polls[p + 1]!.tS <= r.tS) p++;
    const poll = polls[p]?.tS !== undefined && polls[p]!.tS <= r.tS ? polls[p]! : null;
    return {
      tS: r.tS,
      cqi: r.cqi,
      capacityMbps: round1(r.capacityMbps),
      deliveredMbps: round1(r.deliveredMbps),
      powered: r.powered,
      consensusMbps: poll?.consensusMbps === null || poll === null ? null : round1(poll.consensusMbps),
      phase: poll?.phase ?? 'idle',
      negotiating: poll?.negotiating ?? false,
    };
  });
  const enforcedSeconds = timeline.filter((t) => t.phase === 'enforced' && t.consensusMbps !== null);
  const met = enforcedSeconds.filter((t) => t.deliveredMbps >= t.consensusMbps! * (1 - meta.policy.marginFraction));
  const out = path.resolve(projectRoot, values.out);
  writeResults(`${out}.json`, {
    command: `npm run usecase:sla -- ${process.argv.slice(2).join(' ')}`.trim(),
    ...meta,
    bos: bos.map(({ id, condition, mbps, floorMbps }) => ({ id, condition, mbps, floorMbps })),
    summary: {
      negotiations: final.negotiations.length,
      triggers: final.negotiations.map((n) => n.trigger),
      outcomes: final.negotiations.map((n) => ({
        status: n.status,
        valueMbps: n.valueMbps === null ? null : round1(n.valueMbps),
        warned: n.warned,
      })),
      switchedOff: final.events.filter((e) => e.kind === 'switched_off').length,
      approvals: (final.approvals ?? []).map((a) => ({
        negotiationId: a.negotiationId,
        decision: a.decision,
        by: a.by,
      })),
      reverted: final.events.filter((e) => e.kind === 'reverted').length,
      a1Resynced: final.events.filter((e) => e.kind === 'a1_resynced').length,
      twinChecks: final.events.filter((e) => e.kind === 'twin_checked').length,
      twinCappedMcs: final.events.filter((e) => e.kind === 'twin_checked' && /planned under MCS/.test(e.message))
        .length,
      secondsEnforced: enforcedSeconds.length,
      secondsConsensusDelivered: met.length,
    },
    scripted,
    negotiations: final.negotiations,
    events: final.events,
    lastVotes: final.lastVotes,
    timeline,
  });
  const plot = spawnSync(
    venvBin('python'),
    [path.join(projectRoot, 'bench', 'usecase_sla_plot.py'), `${out}.json`, `${out}.png`],
    { stdio: 'inherit' },
  );
  if (plot.status !== 0) throw new Error('the plot failed');
}

const round1 = (x: number | null): number => Math.round((x ?? 0) * 10) / 10;

main().catch((err: unknown) => {
  console.error('[usecase] failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
