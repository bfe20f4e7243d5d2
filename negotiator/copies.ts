/**
 * `npm run negotiator:copies -- --episodes F.jsonl [--n 25] [--samples 8] [--temperature 1] [--out FILE]`
 *
 * Does the served negotiator, answering as MAESTRO, take the `moves` line (activities/agent/prompts.ts) when its
 * prompt shows one? Each off-mode game of the recorded episodes that went past round 2 gives MAESTRO's round-2
 * prompt, rebuilt with the `moves` style from the game's own rounds 1 and 2 (no contextual notes). Games where the
 * line lies within 1 Mbps of the demands' mean are skipped, since there the two cannot be told apart. The served
 * model answers each prompt `samples` times (seeds 0 … samples − 1) with the serving path's JSON schema, and every
 * answer is counted as the moves value, the mean, another number or invalid. Session 33 asked this before shipping
 * the `moves` prompt untrained (docs/NEGOTIATOR.md, "The mediator's lever").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractServiceIntent } from '../activities/agent/extraction.ts';
import { buildMediatorMessages } from '../activities/agent/prompts.ts';
import { round2 } from '../activities/agent/validation.ts';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createChatModel, type ChatMessage } from '../core/llm/chat-model.ts';
import { movesPointTo } from '../core/negotiation/moves.ts';
import { serviceIntentJsonSchema } from '../core/negotiation/schemas.ts';
import { ensureModelServer, stopService } from '../scripts/services.ts';
import { writeResults } from '../bench/lib/games.ts';
import type { Episode } from './episode.ts';

export interface MediatorProbe {
  workflowId: string;
  messages: ChatMessage[];
  movesValue: number;
  meanValue: number;
}

/** MAESTRO's round-2 prompt of an off-mode game with the `moves` line, or null where it cannot tell the two apart. */
export function mediatorProbe(episode: Episode): MediatorProbe | null {
  const { request, rounds } = episode.state;
  const [first, second] = rounds;
  if (request.optimizerMode !== 'off' || !first || !second || rounds.length < 3) return null;
  const intents = Object.fromEntries(
    Object.entries(second.values).map(([id, value]) => [id, { value, reasoning: second.reasoning[id] ?? '' }]),
  );
  const previousRound = { values: first.values, proposal: first.mediator.proposal };
  const moved = movesPointTo(
    Object.entries(second.values).map(([id, now]) => ({ before: first.values[id]!, now })),
    previousRound.proposal,
  );
  const values = Object.values(second.values);
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (moved === null || Math.abs(moved - mean) < 1) return null;
  const messages = buildMediatorMessages({
    topic: request.topic,
    parties: request.parties.map((p) => ({ id: p.id, objective: p.objective })),
    round: 2,
    maxRounds: request.maxRounds,
    optimizerMode: 'off',
    intents,
    optimizerProposal: second.mediator.optimizerProposal,
    context: [],
    style: 'moves',
    previousRound,
  });
  return { workflowId: episode.workflowId, messages, movesValue: round2(moved), meanValue: round2(mean) };
}

/** Which statistic an answer took: the moves value, the mean, another number, or none it could parse. */
export function answerKind(raw: string, probe: MediatorProbe): 'moves' | 'mean' | 'other' | 'invalid' {
  const extracted = extractServiceIntent(raw);
  if (!extracted.ok) return 'invalid';
  const value = extracted.intent.value;
  if (Math.abs(value - probe.movesValue) < 0.01) return 'moves';
  return Math.abs(value - probe.meanValue) < 0.01 ? 'mean' : 'other';
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      episodes: { type: 'string' },
      n: { type: 'string', default: '25' },
      samples: { type: 'string', default: '8' },
      temperature: { type: 'string', default: '1' },
      out: { type: 'string', default: path.join(projectRoot, 'results', 'negotiator-mediator-copies.json') },
    },
  });
  if (!args.episodes) throw new Error('--episodes FILE.jsonl is required (a negotiator:rollout episodes file)');
  const episodes = readFileSync(args.episodes, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Episode);
  const probes = episodes
    .map(mediatorProbe)
    .filter((p) => p !== null)
    .slice(0, Number(args.n));
  const samples = Number(args.samples);
  const temperature = Number(args.temperature);
  const config = loadConfig();
  const server = await ensureModelServer(config);
  const counts = { moves: 0, mean: 0, other: 0, invalid: 0 };
  try {
    const model = createChatModel(config.model);
    for (const probe of probes)
      for (let seed = 0; seed < samples; seed++) {
        const answer = await model.completeJson({
          messages: probe.messages,
          schemaName: 'service_intent',
          jsonSchema: serviceIntentJsonSchema,
          maxTokens: 96,
          temperature,
          seed,
        });
        counts[answerKind(answer.content, probe)]++;
      }
  } finally {
    if (server) await stopService(server);
  }
  writeResults(args.out, {
    command: `npm run negotiator:copies -- --episodes ${path.relative(projectRoot, args.episodes)} --n ${args.n} --samples ${samples} --temperature ${temperature}`,
    model: config.model.model,
    prompts: probes.length,
    samplesPerPrompt: samples,
    answers: counts,
  });
  console.log(`${probes.length} prompts × ${samples} samples at temperature ${temperature}:`, counts);
}

if (import.meta.main) await main();
