/**
 * Runs benchmark negotiations ("games") as Temporal workflows on a dev server of the benchmark's
 * own, persisted in data/bench/<name>.sqlite, with a worker that has every agent unit. Each game
 * has a deterministic workflow id, so an interrupted benchmark resumes where it stopped: finished
 * games are read back from their workflow results, games that were mid-flight are picked up by
 * the new worker from their histories, and only the rest start. Progress goes to stderr.
 *
 * The model endpoint is the configured one (OPENAI_BASE_URL, or the local model server started
 * here when it does not answer), so the same benchmark runs on any OpenAI-compatible model.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { loadConfig, projectRoot } from '../../core/config.ts';
import type { BoPromptStyle, MediatorPromptStyle } from '../../core/negotiation/schemas.ts';
import { createChatModel, type ChatModel } from '../../core/llm/chat-model.ts';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import { ensureModelServer, registerMissingSearchAttributes, stopService } from '../../scripts/services.ts';
import { negotiationInput, negotiationWorker, readyContextUnits, startTemporal } from '../../scripts/lib/stack.ts';
import type { negotiationWorkflow } from '../../workflows/negotiation/workflow.ts';

// the stack's pieces every benchmark uses, beside the game runner
export { readyContextUnits } from '../../scripts/lib/stack.ts';
export { writeResults } from '../../scripts/lib/results.ts';

export interface Game {
  /** Unique within the benchmark; becomes part of the workflow id. */
  id: string;
  request: unknown;
}

export interface GameResult {
  id: string;
  state: NegotiationState;
  /** Wall time of the workflow (start to close), from Temporal. */
  wallSeconds: number;
  /** True when the result was already there from an earlier, interrupted run. */
  resumed: boolean;
}

/** The prompts a run's games were played on, written into its results beside the model. */
export interface PromptsPlayed {
  bo: BoPromptStyle;
  mediator: MediatorPromptStyle;
}

export async function runGames(
  bench: string,
  games: Game[],
  options: {
    fresh?: boolean;
    /** Wraps the agents' chat model (a recorder, a baseline policy); the contextual units keep the plain one. */
    wrapChatModel?: (model: ChatModel) => ChatModel;
    /** The model name reported with the results, when the wrapper answers in place of the configured one. */
    modelName?: string;
    /** The BO prompt's style; default the configured negotiator's (config.boPrompt, scripts/lib/stack.ts). */
    boPrompt?: BoPromptStyle;
    /** What MAESTRO's off-mode prompt shows; default the configured negotiator's (config.mediatorPrompt). */
    mediatorPrompt?: MediatorPromptStyle;
  } = {},
): Promise<{ results: GameResult[]; model: string; prompts: PromptsPlayed }> {
  const config = loadConfig();
  const prompts: PromptsPlayed = {
    bo: options.boPrompt ?? config.boPrompt,
    mediator: options.mediatorPrompt ?? config.mediatorPrompt,
  };
  const server = await ensureModelServer(config);
  const dbDir = path.join(projectRoot, 'data', 'bench');
  mkdirSync(dbDir, { recursive: true });
  // A fresh run gets a new database file; a normal run reuses the benchmark's file to resume.
  const dbFilename = path.join(dbDir, `${bench}${options.fresh ? `-${Date.now()}` : ''}.sqlite`);
  const env = await startTemporal({ dbFilename });
  try {
    // A database from an older maestro may lack newer search attributes.
    await registerMissingSearchAttributes(env.connection, config.namespace, config.topology.searchAttributes);
    const chatModel = createChatModel(config.model);
    const taskQueue = `bench-${bench}`;
    const agentModel = options.wrapChatModel ? options.wrapChatModel(chatModel) : chatModel;
    const worker = await negotiationWorker(env, taskQueue, agentModel, {
      contextUnits: await readyContextUnits(config, chatModel),
      boPrompt: prompts.bo,
      mediatorPrompt: prompts.mediator,
    });
    const results: GameResult[] = [];
    const started = Date.now();
    await worker.runUntil(async () => {
      for (const [i, game] of games.entries()) {
        const workflowId = `negotiation-bench-${bench}-${game.id}`;
        let resumed = false;
        let handle;
        try {
          handle = await env.client.workflow.start<typeof negotiationWorkflow>('negotiationWorkflow', {
            taskQueue,
            workflowId,
            args: [negotiationInput(game.request)],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          handle = env.client.workflow.getHandle<typeof negotiationWorkflow>(workflowId);
          resumed = true;
        }
        const state = await handle.result();
        const description = await handle.describe();
        const wallSeconds = ((description.closeTime ?? new Date()).getTime() - description.startTime.getTime()) / 1000;
        results.push({ id: game.id, state, wallSeconds, resumed });
        const elapsed = (Date.now() - started) / 1000;
        const left = games.length - i - 1;
        const eta = left === 0 ? 0 : (elapsed / (i + 1)) * left;
        process.stderr.write(
          `[${bench}] ${i + 1}/${games.length} ${game.id}: ${state.status}` +
            `${state.consensus ? ` at ${state.consensus.value.toFixed(1)}` : ''} in ${state.rounds.length} round(s), ` +
            `${wallSeconds.toFixed(1)} s${resumed ? ' (from an earlier run)' : ''}; ~${Math.round(eta)} s left\n`,
        );
      }
    });
    return { results, model: options.modelName ?? config.model.model, prompts };
  } finally {
    await env.teardown();
    if (server) await stopService(server);
  }
}

import { lcg } from './random.ts';

export { lcg };

export const mean = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);
export const sd = (xs: number[]): number => {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
};
export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The p-th percentile (nearest rank) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Varied starting intents: cost parties aim low (5–50), QoS parties high (70–130), weights 0.5–2. */
export function variedParties(size: number, rand: () => number): Record<string, unknown>[] {
  return Array.from({ length: size }, (_, i) => {
    const cost = i % 2 === 0;
    return {
      id: `bo-${i + 1}`,
      objective: cost ? 'cost' : 'qos',
      target: Math.round(cost ? 5 + rand() * 45 : 70 + rand() * 60),
      weight: round(0.5 + rand() * 1.5, 2),
    };
  });
}

/** The shared base station of the paper's Section IV-B experiments. */
export const sharedStationTopic = { name: 'throughput of the shared base station', unit: 'Mbps', min: 0, max: 134 };

export interface GridOptions {
  perCell: number;
  sizes: number[];
  designs: string[];
  seed: number;
  fresh: boolean;
  out: string;
}

/** Command-line options of a benchmark over agents × designs (`--n --sizes --designs --seed --fresh --out`). */
export function parseGridArgs(
  name: string,
  defaults: { n: number; sizes: string; designs: string; seed: number },
): GridOptions {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: String(defaults.n) },
      sizes: { type: 'string', default: defaults.sizes },
      designs: { type: 'string', default: defaults.designs },
      seed: { type: 'string', default: String(defaults.seed) },
      fresh: { type: 'boolean', default: false },
      out: { type: 'string', default: path.join(projectRoot, 'results', `${name}.json`) },
    },
  });
  return {
    perCell: Number(values.n),
    sizes: values.sizes.split(',').map(Number),
    designs: values.designs.split(','),
    seed: Number(values.seed),
    fresh: values.fresh,
    out: values.out,
  };
}

/**
 * One game per (agents, starting draw, design): every design of a size sees the same starting
 * intents, so the designs are compared on equal terms. Ids are `<agents>-<design>-<draw>`.
 */
export function gridGames(grid: GridOptions, negotiation: { maxRounds: number; tolerance: number }): Game[] {
  return grid.sizes.flatMap((size) => {
    const rand = lcg(grid.seed + size);
    const starts = Array.from({ length: grid.perCell }, () => variedParties(size, rand));
    return grid.designs.flatMap((design) =>
      starts.map((parties, g) => ({
        id: `${size}-${design}-${g}`,
        request: { topic: sharedStationTopic, parties, optimizerMode: design, ...negotiation },
      })),
    );
  });
}
