/**
 * `npm run bench:serving -- [--levels 1,2,4,8,16] [--rounds 2] [--backends llama-cpp-python,llama-server] [--slots 8]`
 *
 * The model server under agent turns, old chat backend beside new in one run: for each backend it
 * starts `model-server/serve.py` on a free port, warms it, then fires `level` BO turns at once (the
 * real prompts of `buildBoMessages`, the real `service_intent` schema, 96 answer tokens at most, as a
 * negotiation round does), `rounds` times per level. Per request it streams the answer and records
 * time to first token, latency and answer tokens; per level the aggregate answer tokens/s.
 * Writes results/serving.json and prints a table.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import type { ChatMessage } from '../core/llm/chat-model.ts';
import { serviceIntentJsonSchema } from '../core/negotiation/schemas.ts';
import { projectRoot } from '../core/config.ts';
import { startService, stopService, venvBin, waitUntil, httpOk } from '../scripts/services.ts';
import { boTurnMessages } from './lib/agent-turns.ts';
import { percentile, round, writeResults } from './lib/games.ts';
import { freePort } from '../scripts/lib/free-port.ts';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '1,2,4,8,16' },
    rounds: { type: 'string', default: '2' },
    backends: { type: 'string', default: 'llama-cpp-python,llama-server' },
    slots: { type: 'string', default: '8' },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'serving.json') },
  },
});
const levels = args.levels.split(',').map(Number);
const rounds = Number(args.rounds);
const backends = args.backends.split(',');
const slots = Number(args.slots);
const model = 'smollm2-135m-instruct';
const maxTokens = 96;

interface Sample {
  ttftMs: number;
  latencyMs: number;
  tokens: number;
}

/** One streamed chat completion: time to the first content chunk, total latency, content chunks (≈ tokens). */
async function streamed(baseUrl: string, messages: ChatMessage[], seed: number): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      messages,
      response_format: { type: 'json_object', schema: serviceIntentJsonSchema },
      max_tokens: maxTokens,
      temperature: 0.7,
      seed,
      stream: true,
    }),
  });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  let ttftMs = Number.NaN;
  let tokens = 0;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith('data:') || line === 'data: [DONE]') continue;
      const event = JSON.parse(line.slice(5)) as { choices?: { delta?: { content?: string | null } }[] };
      if (event.choices?.[0]?.delta?.content) {
        tokens++;
        if (Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
      }
    }
  }
  return { ttftMs, latencyMs: performance.now() - started, tokens };
}

async function measure(backend: string): Promise<Record<string, unknown>[]> {
  const port = await freePort();
  const service = startService(`model-${backend}`, venvBin('python'), [
    path.join(projectRoot, 'model-server', 'serve.py'),
    '--port',
    String(port),
    '--backend',
    backend,
    '--slots',
    String(slots),
  ]);
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  try {
    await waitUntil(`the model server (${backend})`, httpOk(`${baseUrl}/models`), 300_000, service);
    await streamed(baseUrl, boTurnMessages(0, 2), 1); // warm: load, first prompt
    const rows: Record<string, unknown>[] = [];
    for (const level of levels) {
      const samples: Sample[] = [];
      let tokens = 0;
      let wallMs = 0;
      for (let r = 0; r < rounds; r++) {
        const started = performance.now();
        const batch = await Promise.all(
          Array.from({ length: level }, (_, i) => streamed(baseUrl, boTurnMessages(i, level), 1000 * r + i)),
        );
        wallMs += performance.now() - started;
        samples.push(...batch);
        tokens += batch.reduce((s, b) => s + b.tokens, 0);
      }
      const latencies = samples.map((s) => s.latencyMs / 1000);
      const ttfts = samples.map((s) => s.ttftMs / 1000);
      const row = {
        backend,
        concurrent: level,
        requests: samples.length,
        aggregateTokensPerSecond: round(tokens / (wallMs / 1000), 1),
        perRequestTokensPerSecond: round(
          samples.reduce((s, x) => s + x.tokens / Math.max(1e-3, (x.latencyMs - x.ttftMs) / 1000), 0) / samples.length,
          1,
        ),
        ttftP50Seconds: round(percentile(ttfts, 50), 2),
        latencyP50Seconds: round(percentile(latencies, 50), 2),
        latencyP95Seconds: round(percentile(latencies, 95), 2),
        secondsPerRound: round(wallMs / 1000 / rounds, 2),
      };
      console.log(
        `${backend.padEnd(17)} ${String(level).padStart(3)}  agg ${String(row.aggregateTokensPerSecond).padStart(6)} tok/s  per-req ${String(row.perRequestTokensPerSecond).padStart(5)} tok/s  ttft p50 ${row.ttftP50Seconds}s  latency p50 ${row.latencyP50Seconds}s p95 ${row.latencyP95Seconds}s  round ${row.secondsPerRound}s`,
      );
      rows.push(row);
    }
    return rows;
  } finally {
    await stopService(service);
  }
}

const results: Record<string, unknown>[] = [];
for (const backend of backends) results.push(...(await measure(backend)));
writeResults(args.out, {
  command: `npm run bench:serving -- --levels ${levels.join(',')} --rounds ${rounds} --backends ${backends.join(',')} --slots ${slots}`,
  model,
  setup: { maxTokens, temperature: 0.7, prompt: 'buildBoMessages, round 1, soft mode', slots },
  results,
});
