/**
 * Starting and stopping maestro's processes: the Temporal dev server, the local model server, the
 * worker and the API. Used by `npm start` and by the test runner, so both run the same commands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, ScheduleAlreadyRunning } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { MaestroConfig } from '../core/config.ts';
import { projectRoot } from '../core/config.ts';

export const venvBin = (name: string): string => path.join(projectRoot, '.venv', 'bin', name);
export const temporalBinary = venvBin('temporal');

export interface Service {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Spawns a process whose output lines are prefixed with its name. */
export function startService(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Service {
  const child = spawn(command, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer, stream: NodeJS.WriteStream): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) stream.write(`[${name}] ${line}\n`);
  };
  child.stdout?.on('data', (c: Buffer) => prefix(c, process.stdout));
  child.stderr?.on('data', (c: Buffer) => prefix(c, process.stderr));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs` if the process is still there. */
export async function stopService(service: Service, graceMs = 10_000): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  await service.exited;
  clearTimeout(timer);
}

export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  service?: Service,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service && service.child.exitCode !== null)
      throw new Error(`${service.name} exited (${service.child.exitCode}) before ${what}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const httpOk = (url: string) => async (): Promise<boolean> =>
  (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

export function temporalDevServerArgs(config: MaestroConfig, options: { headless?: boolean } = {}): string[] {
  const { server, searchAttributes } = config.topology;
  const [, port = String(server.port)] = config.temporalAddress.split(':');
  const dbFile = path.resolve(projectRoot, server.dbFile);
  mkdirSync(path.dirname(dbFile), { recursive: true });
  return [
    'server',
    'start-dev',
    '--ip',
    server.host,
    '--port',
    port,
    '--namespace',
    config.namespace,
    '--db-filename',
    dbFile,
    '--log-level',
    'error',
    ...(options.headless ? ['--headless'] : ['--ui-port', String(config.temporalUiPort)]),
    ...Object.entries(searchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
}

export function startModelServer(port: number): Service {
  return startService('model', venvBin('python'), [
    path.join(projectRoot, 'model-server', 'serve.py'),
    '--port',
    String(port),
  ]);
}

/**
 * Builds the chosen shipped negotiator's GGUF from its committed adapters unless it is already built from them
 * (`ship install-negotiator`: a no-op when data/models/negotiator-NAME.json records the shipped manifest's hash).
 * Nothing when the base model is chosen, or when MAESTRO_CHAT_GGUF names another GGUF to serve. Without it a
 * stale GGUF at the shipped one's path was served as the shipped negotiator: session 31's benchmarks served a
 * session-29 candidate exported there under the same name. Returns whether the negotiator is usable.
 */
export async function installNegotiator(config: MaestroConfig): Promise<boolean> {
  if (config.negotiator === 'base' || process.env.MAESTRO_CHAT_GGUF) return true;
  const install = startService('negotiator-install', venvBin('python'), [
    '-m',
    'sixg_learner.export.ship',
    'install-negotiator',
    '--which',
    config.negotiator,
  ]);
  const code = await install.exited;
  if (code !== 0) console.error(`[maestro] the shipped negotiator could not be built (exit ${code})`);
  return code === 0;
}

/**
 * For command-line tools that need the model endpoint (embeddings, chat): reuse a running one, or
 * start the local model server for the tool's lifetime when the endpoint is the local default, with the
 * chosen negotiator built as `npm start` builds it (`installNegotiator`).
 * Returns the service to stop afterwards, or null when nothing was started.
 */
export async function ensureModelServer(config: MaestroConfig): Promise<Service | null> {
  const modelsUrl = `${config.model.baseURL.replace(/\/$/, '')}/models`;
  if (await httpOk(modelsUrl)().catch(() => false)) return null;
  if (!config.model.isLocalServer) throw new Error(`the model endpoint ${config.model.baseURL} does not answer`);
  await installNegotiator(config);
  process.stderr.write(`[maestro] starting the local model server on port ${config.modelServerPort}\n`);
  const service = startModelServer(config.modelServerPort);
  await waitUntil('the model server', httpOk(modelsUrl), 120_000, service);
  return service;
}

const indexedValueTypes = {
  Keyword: 'INDEXED_VALUE_TYPE_KEYWORD',
  KeywordList: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
  Text: 'INDEXED_VALUE_TYPE_TEXT',
  Int: 'INDEXED_VALUE_TYPE_INT',
  Double: 'INDEXED_VALUE_TYPE_DOUBLE',
  Bool: 'INDEXED_VALUE_TYPE_BOOL',
  Datetime: 'INDEXED_VALUE_TYPE_DATETIME',
} as const;

/**
 * Registers the search attributes of temporal.yaml that the namespace lacks. The dev server's
 * `--search-attribute` flags do not reach a database created by an older version of maestro, and
 * an external cluster never sees them; a workflow upserting an unknown attribute would fail its
 * workflow task. Returns the names it added.
 */
export async function ensureSearchAttributes(config: MaestroConfig): Promise<string[]> {
  const connection = await Connection.connect({ address: config.temporalAddress });
  try {
    return await registerMissingSearchAttributes(connection, config.namespace, config.topology.searchAttributes);
  } finally {
    await connection.close();
  }
}

export async function registerMissingSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: MaestroConfig['topology']['searchAttributes'],
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = Object.entries(wanted).filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map(([name, type]) => [name, proto.temporal.api.enums.v1.IndexedValueType[indexedValueTypes[type]]]),
    ),
  });
  return missing.map(([name]) => name);
}

/**
 * Creates the Schedules of temporal.yaml that the namespace lacks, and brings existing ones' spec
 * and action up to date without touching their paused state (an operator's decision). The
 * workflow input gets the task queues from temporal.yaml, so the file names queues once.
 */
export async function ensureSchedules(config: MaestroConfig): Promise<{ created: string[]; updated: string[] }> {
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.namespace });
  const created: string[] = [];
  const updated: string[] = [];
  try {
    for (const [scheduleId, s] of Object.entries(config.topology.schedules)) {
      const action = {
        type: 'startWorkflow' as const,
        workflowType: s.workflowType,
        taskQueue: config.topology.taskQueues[s.taskQueue],
        args: [
          {
            ...s.args,
            learnerTaskQueue: config.topology.taskQueues.learner,
            trainingTaskQueue: config.topology.taskQueues.training,
          },
        ],
      };
      const spec = { cronExpressions: s.cron };
      try {
        await client.schedule.create({
          scheduleId,
          spec,
          action,
          state: { paused: s.paused, ...(s.note ? { note: s.note } : {}) },
        });
        created.push(scheduleId);
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
        updated.push(scheduleId);
      }
    }
    return { created, updated };
  } finally {
    await connection.close();
  }
}
