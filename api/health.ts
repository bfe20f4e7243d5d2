/** Readiness of what a negotiation needs: the Temporal server, a negotiation worker, the model server. */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { MaestroConfig } from '../core/config.ts';
import { probeModelEndpoint } from '../core/llm/chat-model.ts';
import { z } from 'zod';
import { existsSync, readFileSync } from 'node:fs';

const healthCheckSchema = z.object({ ok: z.boolean(), detail: z.string() });
export type HealthCheck = z.infer<typeof healthCheckSchema>;

export const healthReportSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({
    temporal: healthCheckSchema,
    workers: healthCheckSchema,
    model: healthCheckSchema,
    processes: healthCheckSchema.optional().describe("npm start's supervisor: a process restarting or given up on"),
  }),
});
export type HealthReport = z.infer<typeof healthReportSchema>;

// The proto package is CommonJS: its namespaces come off the default export.
const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/** A worker counts as alive when it polled the queue within this window. */
const pollerFreshnessMs = 70_000;

async function check(run: () => Promise<string>): Promise<HealthCheck> {
  try {
    return { ok: true, detail: await run() };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

export async function healthReport(client: Client, config: MaestroConfig): Promise<HealthReport> {
  const service = client.workflowService;
  const [temporalCheck, workers, model] = await Promise.all([
    check(async () => {
      const info = await service.getSystemInfo({});
      return `server ${info.serverVersion || 'dev'} at ${config.temporalAddress}`;
    }),
    check(async () => {
      const queue = config.topology.taskQueues.negotiation;
      const { pollers } = await service.describeTaskQueue({
        namespace: config.namespace,
        taskQueue: { name: queue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      const now = Date.now();
      const fresh = (pollers ?? []).filter((p) => {
        const seconds = Number(p.lastAccessTime?.seconds ?? 0);
        return now - seconds * 1000 < pollerFreshnessMs;
      });
      if (fresh.length === 0) throw new Error(`no worker polls task queue ${queue}`);
      return `${fresh.length} worker(s) on ${queue}`;
    }),
    check(async () => {
      const models = await probeModelEndpoint(config.model);
      return `${config.model.baseURL} serves ${models.join(', ')}`;
    }),
  ]);
  const processes = supervisedProcesses(process.env.MAESTRO_SUPERVISOR_STATE);
  const checks = { temporal: temporalCheck, workers, model, ...(processes ? { processes } : {}) };
  return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'degraded', checks };
}

const supervisorStateSchema = z.object({
  pid: z.number().int(),
  processes: z.record(z.string(), z.object({ state: z.string(), restarts: z.number().int() })),
});

/**
 * What `npm start`'s supervisor says of its processes (scripts/lib/supervisor.ts writes the file):
 * not ok while one restarts or after one was given up on. Absent when no supervisor runs (tests,
 * another deployment) or its file is left over from one that is gone.
 */
export function supervisedProcesses(stateFile: string | undefined): HealthCheck | undefined {
  if (!stateFile || !existsSync(stateFile)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return undefined; // unreadable (the supervisor writes it atomically, so not ours mid-write): no opinion
  }
  const parsed = supervisorStateSchema.safeParse(raw);
  if (!parsed.success || !isAlive(parsed.data.pid)) return undefined;
  const entries = Object.entries(parsed.data.processes);
  const troubled = entries.filter(([, p]) => p.state === 'restarting' || p.state === 'failed');
  const restarts = entries.filter(([, p]) => p.restarts > 0).map(([name, p]) => `${name} ×${p.restarts}`);
  if (troubled.length > 0) {
    return {
      ok: false,
      detail: `degraded: ${troubled.map(([name, p]) => `${p.state === 'failed' ? 'gave up on' : 'restarting'} ${name}`).join(', ')}`,
    };
  }
  return {
    ok: true,
    detail: `${entries.length} processes running${restarts.length ? `; restarted: ${restarts.join(', ')}` : ''}`,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
