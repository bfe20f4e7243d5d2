/**
 * `npm run bench:round-tokens -- [--sizes 2,5,10,20] [--rounds 3] [--out results/round-tokens.json]`
 *
 * Where a negotiation round's time goes on the model server (issue 14). For n parties it fires the n
 * BO turns of round 1, then of each later round, all at once, as the workflow does: the real prompts
 * (`buildBoMessages` through bench/lib/agent-turns.ts, as bench:serving sends them: soft mode, a
 * MAESTRO proposal from round 2 on), the `service_intent` schema, the
 * configured chat model and temperature. llama-server reports per request how many prompt tokens it
 * took from its prefix cache (`timings.cache_n`), how many it evaluated (`prompt_n`) and how many it
 * generated (`predicted_n`). The work of a round is the evaluated plus the generated tokens; if the
 * server were not compute-bound, a round's wall time would grow slower than its work.
 *
 * Needs llama-server as the chat backend (the default of `npm run model-server`); a running model
 * server is reused, else one is started for the run.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { loadConfig, projectRoot } from '../core/config.ts';
import { serviceIntentJsonSchema } from '../core/negotiation/schemas.ts';
import { ensureModelServer, stopService } from '../scripts/services.ts';
import { boTurnMessages } from './lib/agent-turns.ts';
import { writeResults } from './lib/games.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2,5,10,20' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'round-tokens.json') },
  },
});
const sizes = args.sizes.split(',').map(Number);
const rounds = Number(args.rounds);
if (sizes.some((n) => !Number.isInteger(n) || n < 2) || !Number.isInteger(rounds) || rounds < 2) {
  throw new Error('--sizes takes integers ≥ 2, --rounds an integer ≥ 2');
}

const config = loadConfig();
const proposalMbps = 55;

interface TurnTokens {
  wallMs: number;
  cachedPromptTokens: number;
  evaluatedPromptTokens: number;
  generatedTokens: number;
}

async function turn(i: number, n: number, round: number): Promise<TurnTokens> {
  const messages = boTurnMessages(i, n, { round, maxRounds: 5, proposalMbps });
  const started = Date.now();
  const response = await fetch(`${config.model.baseURL.replace(/\/$/, '')}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${config.model.apiKey}` },
    body: JSON.stringify({
      model: config.model.model,
      messages,
      temperature: config.model.temperature,
      max_tokens: 96,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'service_intent', schema: serviceIntentJsonSchema, strict: true },
      },
    }),
  });
  if (!response.ok) throw new Error(`chat completion: HTTP ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { timings?: { cache_n?: number; prompt_n?: number; predicted_n?: number } };
  if (body.timings?.prompt_n === undefined) {
    throw new Error('the chat backend reports no timings: run the model server with llama-server');
  }
  return {
    wallMs: Date.now() - started,
    cachedPromptTokens: body.timings.cache_n ?? 0,
    evaluatedPromptTokens: body.timings.prompt_n,
    generatedTokens: body.timings.predicted_n ?? 0,
  };
}

const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
const server = await ensureModelServer(config);
try {
  const rows = [];
  for (const n of sizes) {
    for (let round = 1; round <= rounds; round++) {
      const started = Date.now();
      const turns = await Promise.all(Array.from({ length: n }, (_, i) => turn(i, n, round)));
      const wallSeconds = (Date.now() - started) / 1000;
      const work = sum(turns.map((t) => t.evaluatedPromptTokens + t.generatedTokens));
      const row = {
        parties: n,
        round,
        wallSeconds: Math.round(wallSeconds * 100) / 100,
        cachedPromptTokens: sum(turns.map((t) => t.cachedPromptTokens)),
        evaluatedPromptTokens: sum(turns.map((t) => t.evaluatedPromptTokens)),
        generatedTokens: sum(turns.map((t) => t.generatedTokens)),
        workTokensPerSecond: Math.round(work / wallSeconds),
      };
      rows.push(row);
      console.log(
        `n=${String(n).padEnd(3)} round ${round}: ${row.wallSeconds.toFixed(2)} s  prompt cached ${row.cachedPromptTokens}, evaluated ${row.evaluatedPromptTokens}, generated ${row.generatedTokens}  → ${row.workTokensPerSecond} tokens of work/s`,
      );
    }
  }
  writeResults(args.out, {
    command: `npm run bench:round-tokens -- --sizes ${sizes.join(',')} --rounds ${rounds}`,
    model: config.model.model,
    temperature: config.model.temperature,
    note: 'from round 2 every agent finds its system prompt in the server cache; round 1 does too when a reused server already answered these prompts',
    rows,
  });
} finally {
  if (server) await stopService(server);
}
