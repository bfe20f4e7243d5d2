/** Readiness of what a negotiation needs: the Temporal server, a negotiation worker, the model server. */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { MaestroConfig } from '../core/config.ts';
import { probeModelEndpoint } from '../core/llm/chat-model.ts';
import { z } from 'zod';

const healthCheckSchema = z.object({ ok: z.boolean(), detail: z.string() });
export type HealthCheck = z.infer<typeof healthCheckSchema>;

export const healthReportSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ temporal: healthCheckSchema, workers: healthCheckSchema, model: healthCheckSchema }),
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
  const checks = { temporal: temporalCheck, workers, model };
  return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'degraded', checks };
}
