/**
 * What answers the agents' turns in a rollout, as chat models the negotiation worker takes:
 *
 * - `recording(model)`: the served model itself, each service-intent answer recorded with the
 *   messages that produced it and the turn that asked (the training data of rejection sampling);
 * - `rulePolicy(model)`: the simple rule a trained negotiator has to beat — a BO opens at its ideal
 *   value and then takes MAESTRO's proposal; MAESTRO proposes the mean of the demands, or its
 *   optimizer's value where the prompt shows it (soft mode);
 * - `constantPolicy(model)`: every agent answers the middle of the topic's range, every round.
 *
 * The two baselines read only what their prompt shows (the same messages the LLM gets), and hand
 * every other request (the arbitral judge's) to the wrapped model.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ChatCompletion, ChatMessage, ChatModel, StructuredChatRequest } from '../core/llm/chat-model.ts';

export interface RecordedTurn {
  negotiationId: string;
  round: number;
  agent: string;
  /** 0 for the first ask, 1… for the retries the LLM unit makes after an invalid answer. */
  attempt: number;
  messages: ChatMessage[];
  answer: string;
  temperature: number | null;
}

export const policyNames = ['served', 'rule', 'constant'] as const;
export type PolicyName = (typeof policyNames)[number];

const intentSchemaName = 'service_intent';

function answer(model: string, value: number, reasoning: string): ChatCompletion {
  const content = JSON.stringify({ value: Math.round(value * 100) / 100, reasoning });
  return { content, promptTokens: 0, completionTokens: 0, latencyMs: 0, model };
}

const numberAfter = (text: string, label: RegExp): number | null => {
  const match = label.exec(text);
  return match ? Number(match[1]) : null;
};

const system = (request: StructuredChatRequest): string =>
  request.messages.find((m) => m.role === 'system')?.content ?? '';
/** The round's own message: the first user message (a retry appends more after it). */
const roundMessage = (request: StructuredChatRequest): string =>
  request.messages.find((m) => m.role === 'user')?.content ?? '';

const num = String.raw`(-?\d+(?:\.\d+)?)`;

/** The topic's range, as every agent's answer format states it. */
export function rangeOf(request: StructuredChatRequest): { min: number; max: number } {
  const match = new RegExp(String.raw`between ${num} and ${num}`).exec(system(request));
  if (!match) throw new Error('the prompt states no range ("between MIN and MAX")');
  return { min: Number(match[1]), max: Number(match[2]) };
}

/** The rule's answer to one turn, from the prompt alone. */
export function ruleValue(request: StructuredChatRequest): { value: number; reasoning: string } {
  const sys = system(request);
  const user = roundMessage(request);
  if (sys.startsWith('You are MAESTRO')) {
    const optimizer = numberAfter(user, new RegExp(String.raw`Your optimizer proposes ${num}`));
    if (optimizer !== null) return { value: optimizer, reasoning: `Move to ${optimizer}, the optimizer's value.` };
    const demands = [...user.matchAll(new RegExp(String.raw`^[A-Za-z0-9_-]+: ${num} \(`, 'gm'))].map((m) =>
      Number(m[1]),
    );
    if (demands.length === 0) throw new Error("MAESTRO's prompt lists no demands");
    const mean = demands.reduce((s, x) => s + x, 0) / demands.length;
    return { value: mean, reasoning: `Meet at ${Math.round(mean * 100) / 100}, the mean of the demands.` };
  }
  const proposal = numberAfter(user, new RegExp(String.raw`MAESTRO proposes ${num}`));
  if (proposal !== null) return { value: proposal, reasoning: `I accept MAESTRO's ${proposal}.` };
  const ideal = numberAfter(sys, new RegExp(String.raw`Your ideal value is ${num}`));
  if (ideal === null) throw new Error("the BO's prompt states no ideal value");
  return { value: ideal, reasoning: `I open at my ideal value, ${ideal}.` };
}

function answering(
  name: string,
  inner: ChatModel,
  decide: (request: StructuredChatRequest) => { value: number; reasoning: string },
): ChatModel {
  return {
    name,
    async completeJson(request, signal) {
      if (request.schemaName !== intentSchemaName) return inner.completeJson(request, signal);
      const { value, reasoning } = decide(request);
      return answer(name, value, reasoning);
    },
  };
}

export const rulePolicy = (inner: ChatModel): ChatModel => answering('rule', inner, ruleValue);

export const constantPolicy = (inner: ChatModel): ChatModel =>
  answering('constant', inner, (request) => {
    const { min, max } = rangeOf(request);
    const middle = (min + max) / 2;
    return { value: middle, reasoning: `The middle of the range, ${middle}.` };
  });

/**
 * The model as it is, with every service-intent turn it answers kept in `turns`, by negotiation id.
 * With `file`, each turn is also appended to that JSONL file as it is answered, and the turns already
 * there are loaded first: a rollout interrupted and resumed (runGames) keeps the turns of the games
 * its first run finished.
 */
export function recording(
  inner: ChatModel,
  options: { temperature?: number; file?: string } = {},
): { model: ChatModel; turns: Map<string, RecordedTurn[]> } {
  const turns = new Map<string, RecordedTurn[]>();
  const keep = (turn: RecordedTurn): void => {
    turns.set(turn.negotiationId, [...(turns.get(turn.negotiationId) ?? []), turn]);
  };
  if (options.file && existsSync(options.file)) {
    for (const line of readFileSync(options.file, 'utf8').split('\n')) {
      if (line.trim() !== '') keep(JSON.parse(line) as RecordedTurn);
    }
  }
  const model: ChatModel = {
    name: inner.name,
    async completeJson(request, signal) {
      const asked =
        options.temperature !== undefined && request.temperature === undefined
          ? { ...request, temperature: options.temperature }
          : request;
      const completion = await inner.completeJson(asked, signal);
      const label = request.turn;
      if (label && request.schemaName === intentSchemaName) {
        const earlier = turns.get(label.negotiationId) ?? [];
        const turn: RecordedTurn = {
          ...label,
          attempt: earlier.filter((t) => t.round === label.round && t.agent === label.agent).length,
          messages: request.messages,
          answer: completion.content,
          temperature: asked.temperature ?? null,
        };
        keep(turn);
        if (options.file) appendFileSync(options.file, `${JSON.stringify(turn)}\n`);
      }
      return completion;
    },
  };
  return { model, turns };
}
