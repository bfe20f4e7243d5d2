/**
 * Prometheus metrics of a negotiation worker (prom-client): negotiation outcomes from the
 * workflow's sinks, unit-level figures (LLM latency, validation fallbacks, arbitral flags) from
 * the activities. One registry per process, served on /metrics by the worker.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createNegotiationMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'maestro_worker_' });
  const started = new Counter({
    name: 'maestro_negotiations_started_total',
    help: 'Negotiations started',
    labelNames: ['optimizer_mode'] as const,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'maestro_negotiations_finished_total',
    help: 'Negotiations finished, by outcome (consensus, no_consensus, halted, cancelled, failed)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const rounds = new Histogram({
    name: 'maestro_negotiation_rounds',
    help: 'Rounds a finished negotiation took',
    buckets: [1, 2, 3, 4, 5, 7, 10, 15, 20],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'maestro_negotiation_duration_seconds',
    help: 'Wall time from start to outcome',
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const llmLatency = new Histogram({
    name: 'maestro_llm_call_seconds',
    help: 'Latency of one agent decision by the LLM unit (all attempts)',
    labelNames: ['role'] as const,
    buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'maestro_validation_fallbacks_total',
    help: 'Decisions where the validation unit substituted the optimizer for the LLM',
    labelNames: ['role'] as const,
    registers: [registry],
  });
  const llmOutages = new Counter({
    name: 'maestro_llm_outages_total',
    help: 'Agent decisions taken without the LLM because its endpoint failed or its circuit was open',
    labelNames: ['role', 'model'] as const,
    registers: [registry],
  });
  const flags = new Counter({
    name: 'maestro_arbitral_flags_total',
    help: 'Messages the arbitral unit flagged as malicious',
    labelNames: ['decided_by'] as const,
    registers: [registry],
  });
  const incentives = new Counter({
    name: 'maestro_arbitral_incentives_total',
    help: 'Incentives MAESTRO applied (warning, penalty, exclusion)',
    labelNames: ['action'] as const,
    registers: [registry],
  });
  return { registry, started, finished, rounds, duration, llmLatency, fallbacks, llmOutages, flags, incentives };
}

export type NegotiationMetrics = ReturnType<typeof createNegotiationMetrics>;

/** Serves the registry at http://host:port/metrics. */
export async function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry
      .metrics()
      .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
