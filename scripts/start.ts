/**
 * `npm start`: the Temporal dev server (with its Web UI), the local model server, the workers, the
 * emulated RAN and the API, each a child process under a supervisor (scripts/lib/supervisor.ts):
 * one that dies is restarted with backoff while the rest stay up, one that keeps dying stops the
 * stack with a clear message. Prints the URLs; Ctrl-C/SIGTERM stops everything.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig, projectRoot } from '../core/config.ts';
import { ensureDevTenants } from '../core/tenants/tenants.ts';
import { Supervisor } from './lib/supervisor.ts';
import {
  ensureSchedules,
  ensureSearchAttributes,
  httpOk,
  installNegotiator,
  startModelServer,
  startService,
  temporalBinary,
  temporalDevServerArgs,
  venvBin,
  waitUntil,
} from './services.ts';

const config = loadConfig();
// The API's /healthz reads the supervisor's view of the processes from here (children inherit it).
process.env.MAESTRO_SUPERVISOR_STATE ??= path.join(projectRoot, 'data', 'supervisor.json');
const supervisor = new Supervisor({
  stateFile: process.env.MAESTRO_SUPERVISOR_STATE,
  onGiveUp: (name, message) => {
    console.error(`[start] ${message}; everything is stopped. See ${name}'s lines above for why.`);
    process.exit(1);
  },
});

async function stopAll(code: number): Promise<never> {
  await supervisor.stopAll();
  process.exit(code);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

async function main(): Promise<void> {
  if (config.ownsTemporalServer) {
    const temporal = supervisor.add('temporal', () =>
      startService('temporal', temporalBinary, temporalDevServerArgs(config)),
    );
    await waitUntil(
      'the Temporal server',
      async () => {
        const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 1000 });
        await connection.close();
        return true;
      },
      60_000,
      temporal,
    );
  }
  const added = await ensureSearchAttributes(config);
  if (added.length > 0)
    console.log(`[maestro] registered search attributes ${added.join(', ')} in ${config.namespace}`);
  const schedules = await ensureSchedules(config);
  if (schedules.created.length > 0) console.log(`[maestro] created schedules ${schedules.created.join(', ')}`);
  if (config.model.isLocalServer) {
    // The trained 6G-LLM this clone ships (learner/models/sixg-llm): merged into the base and exported
    // to data/models/promoted.gguf on first start (~2 min), then served as `sixg-llm`. A failure is
    // reported and the rest starts without it.
    const ship = startService('sixg-install', venvBin('python'), ['-m', 'sixg_learner.export.ship', 'install']);
    const shipCode = await ship.exited;
    if (shipCode !== 0) console.error(`[maestro] the shipped 6G-LLM could not be built (exit ${shipCode})`);
    // The chosen trained negotiator (MAESTRO_NEGOTIATOR, by default the split one: learner/models/negotiator-split)
    // the same way, into data/models/negotiator*.gguf (~1 min on first start), which the model server then serves
    // as its chat model; without it the base model answers (MAESTRO_NEGOTIATOR=base asks for the base anyway).
    await installNegotiator(config);
    const model = supervisor.add('model-server', () => startModelServer(config.modelServerPort));
    await waitUntil('the model server', httpOk(`${config.model.baseURL}/models`), 120_000, model);
  }
  // The regulatory index: built on first start, then only files that changed are re-embedded
  // (seconds). MAESTRO_REGULATORY_SPECS adds folders of 3GPP markdown (colon-separated; the
  // shared Rel-19 set takes ~17 min to embed once on two cores).
  const specs = (process.env.MAESTRO_REGULATORY_SPECS ?? '').split(':').filter(Boolean);
  const ingest = startService('ingest', process.execPath, [
    'regulatory-corpus/ingest.ts',
    ...specs.flatMap((dir) => ['--specs', dir]),
  ]);
  const ingestCode = await ingest.exited;
  if (ingestCode !== 0) throw new Error(`regulatory corpus ingestion failed (exit ${ingestCode})`);
  supervisor.add('worker', () => startService('worker', process.execPath, ['workers/negotiation-worker.ts']));
  supervisor.add('training', () => startService('training', process.execPath, ['workers/training-worker.ts']));
  // The network plane: the emulated RAN replays the paper's Fig. 5 channel on the configured cells.
  supervisor.add('ran', () => startService('ran', process.execPath, ['scripts/ran.ts', '--synthetic', 'fig5']));
  const devKeys = ensureDevTenants(config.tenantsFile);
  supervisor.add('twin', () =>
    startService('twin', venvBin('python'), [
      '-m',
      'twin_bridge.worker',
      '--address',
      config.temporalAddress,
      '--namespace',
      config.namespace,
      '--task-queue',
      config.topology.taskQueues.twin,
      '--cache',
      'data/twin-cache.sqlite',
    ]),
  );
  // The RLDTF learner (PyTorch): idle until a training workflow sends it a step. It also answers
  // orchestration requests with the served 6G-LLM on its own queue, beside the training steps.
  supervisor.add('learner', () =>
    startService('learner', venvBin('python'), [
      '-m',
      'sixg_learner.worker',
      '--address',
      config.temporalAddress,
      '--namespace',
      config.namespace,
      '--task-queue',
      config.topology.taskQueues.learner,
      '--serving-task-queue',
      config.topology.taskQueues.sixg,
    ]),
  );
  const api = supervisor.add('api', () => startService('api', process.execPath, ['api/server.ts']));
  const apiURL = `http://127.0.0.1:${config.apiPort}`;
  await waitUntil('the API to report healthy', httpOk(`${apiURL}/healthz`), 120_000, api);
  console.log(
    [
      '',
      'maestro is up:',
      `  API            ${apiURL}   (OpenAPI: ${apiURL}/openapi.json)`,
      config.ownsTemporalServer
        ? `  Temporal UI    http://127.0.0.1:${config.temporalUiPort}/namespaces/${config.namespace}/workflows`
        : '',
      `  Temporal       ${config.temporalAddress} (namespace ${config.namespace})`,
      `  Model server   ${config.model.baseURL} (chat ${config.model.model}, embeddings ${config.embeddings.model})`,
      `  Metrics        http://127.0.0.1:${config.metricsPort}/metrics (negotiation worker, Prometheus)`,
      `  Workers        ${config.topology.taskQueues.negotiation}, ${config.topology.taskQueues.training} (TypeScript); ${config.topology.taskQueues.twin} (Python, Sionna twin), ${config.topology.taskQueues.learner} + ${config.topology.taskQueues.sixg} (Python, PyTorch: training, and the served 6G-LLM's orchestrations)`,
      `  Schedules      ${Object.keys(config.topology.schedules).join(', ') || 'none'} (temporal.yaml; see the UI's Schedules page)`,
      `  Emulated RAN   ${config.ranUrl} (A1 policies, network intents; telemetry → cell sessions)`,
      `  Tenants        ${config.tenantsFile}${devKeys ? ` (created now; dev API keys in ${devKeys.keysFile})` : ''}`,
      '',
      'Try (keys from the tenants keys file):',
      `  curl -s -X POST ${apiURL}/v1/negotiations -H "authorization: Bearer $OPERATOR_KEY" -H 'content-type: application/json' -d @examples/two-party.json`,
      `  curl -s -X POST ${apiURL}/v1/intents -H "authorization: Bearer $BO_KEY" -H 'content-type: application/json' -d @examples/intent-premium.json`,
      `A process that dies is restarted (state in ${process.env.MAESTRO_SUPERVISOR_STATE}, and in /healthz). Ctrl-C stops everything.`,
      '',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
}

main().catch(async (err: unknown) => {
  console.error('[start] failed:', err instanceof Error ? err.message : err);
  await stopAll(1);
});
