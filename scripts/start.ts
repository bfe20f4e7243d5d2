/**
 * `npm start`: the Temporal dev server (with its Web UI), the local model server, the negotiation
 * worker and the API, each a child process; prints their URLs; stops them all on Ctrl-C/SIGTERM,
 * and stops everything if any one of them dies.
 */
import { Connection } from '@temporalio/client';
import { loadConfig } from '../core/config.ts';
import { ensureDevTenants } from '../core/tenants/tenants.ts';
import {
  ensureSchedules,
  ensureSearchAttributes,
  httpOk,
  startModelServer,
  startService,
  stopService,
  temporalBinary,
  temporalDevServerArgs,
  venvBin,
  waitUntil,
  type Service,
} from './services.ts';

const config = loadConfig();
const services: Service[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  // Reverse start order: the API and worker first, so nothing is left talking to a dead server.
  for (const service of [...services].reverse()) await stopService(service);
  process.exit(code);
}

function supervise(service: Service): Service {
  services.push(service);
  void service.exited.then((code) => {
    if (!stopping) {
      console.error(`[start] ${service.name} exited with ${code}; stopping everything`);
      void stopAll(1);
    }
  });
  return service;
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

async function main(): Promise<void> {
  if (config.ownsTemporalServer) {
    const temporal = supervise(startService('temporal', temporalBinary, temporalDevServerArgs(config)));
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
    const ship = startService('sixg-install', venvBin('python'), ['-m', 'sixg_learner.ship', 'install']);
    const shipCode = await ship.exited;
    if (shipCode !== 0) console.error(`[maestro] the shipped 6G-LLM could not be built (exit ${shipCode})`);
    const model = supervise(startModelServer(config.modelServerPort));
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
  supervise(startService('worker', process.execPath, ['workers/negotiation-worker.ts']));
  supervise(startService('training', process.execPath, ['workers/training-worker.ts']));
  // The network plane: the emulated RAN replays the paper's Fig. 5 channel on the configured cells.
  supervise(startService('ran', process.execPath, ['ran-emulator/main.ts', '--synthetic', 'fig5']));
  const devKeys = ensureDevTenants(config.tenantsFile);
  supervise(
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
  supervise(
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
  const api = supervise(startService('api', process.execPath, ['api/server.ts']));
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
      'Ctrl-C stops everything.',
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
