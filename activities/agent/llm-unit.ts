/**
 * LLM unit: one decision from the central LLM, as a service intent. Each attempt's answer goes
 * through extraction, the bounds check and the check that it quotes MAESTRO's proposal right; a
 * rejected answer is shown back to the model with the problem, up to `maxAttempts`. The caller
 * substitutes the optimizer when every attempt failed.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage, ChatModel, TurnLabel } from '../../core/llm/chat-model.ts';
import { serviceIntentJsonSchema, type ServiceIntent } from '../../core/negotiation/schemas.ts';
import type { LlmCallSummary } from '../../core/negotiation/types.ts';
import { extractServiceIntent } from './extraction.ts';
import { boundsProblem, quotedProposalProblem, type Bounds, type ProposalQuote } from './validation.ts';
import { breakerFor, isModelOutage } from './circuit-breaker.ts';

export interface IntentRequest {
  messages: ChatMessage[];
  bounds: Bounds;
  /** MAESTRO's proposal the turn answers (absent in round 1 and for MAESTRO's own turn): a misquote is rejected. */
  proposalQuote?: ProposalQuote | null;
  maxAttempts: number;
  maxTokens: number;
  /** Base seed: attempt a uses seed + a, so a retried activity asks the same questions. */
  seed: number;
  signal?: AbortSignal;
  /** Which turn asks; passed to the chat model for observers, not to the endpoint. */
  turn?: TurnLabel;
}

export interface IntentAnswer {
  intent: ServiceIntent | null;
  /** The value of the last answer that parsed, even if out of bounds (for the record). */
  rawValue: number | null;
  problems: string[];
  summary: LlmCallSummary;
  /** The model endpoint failed (5xx, refused, timed out) or its circuit is open: the optimizer substitutes. */
  outage?: boolean;
}

export async function askForIntent(model: ChatModel, request: IntentRequest): Promise<IntentAnswer> {
  const messages = [...request.messages];
  const problems: string[] = [];
  const summary: LlmCallSummary = {
    attempts: 0,
    latencyMs: 0,
    promptTokens: 0,
    completionTokens: 0,
    promptSha256: createHash('sha256').update(JSON.stringify(request.messages)).digest('hex'),
    model: model.name,
  };
  let rawValue: number | null = null;
  const breaker = breakerFor(model.name);
  if (breaker.isOpen()) {
    problems.push(`model ${model.name} unavailable: circuit open after repeated outages`);
    return { intent: null, rawValue, problems, summary, outage: true };
  }
  for (let attempt = 0; attempt < request.maxAttempts; attempt++) {
    summary.attempts++;
    let completion;
    try {
      completion = await model.completeJson(
        {
          messages,
          schemaName: 'service_intent',
          jsonSchema: serviceIntentJsonSchema,
          maxTokens: request.maxTokens,
          seed: request.seed + attempt,
          ...(request.turn ? { turn: request.turn } : {}),
        },
        request.signal,
      );
    } catch (err) {
      // A cancelled turn stays cancelled; a request the model refuses (4xx) is a bug to surface.
      if (request.signal?.aborted || !isModelOutage(err)) throw err;
      breaker.recordOutage();
      problems.push(`model ${model.name} unavailable: ${err instanceof Error ? err.message : String(err)}`);
      return { intent: null, rawValue, problems, summary, outage: true };
    }
    breaker.recordSuccess();
    summary.latencyMs += completion.latencyMs;
    summary.promptTokens += completion.promptTokens;
    summary.completionTokens += completion.completionTokens;
    const extracted = extractServiceIntent(completion.content);
    let problem: string | null;
    if (extracted.ok) {
      rawValue = extracted.intent.value;
      problem =
        boundsProblem(extracted.intent.value, request.bounds) ??
        quotedProposalProblem(extracted.intent.reasoning, request.proposalQuote ?? null, request.bounds);
      if (problem === null) return { intent: extracted.intent, rawValue, problems, summary };
    } else {
      problem = extracted.problem;
    }
    problems.push(problem);
    messages.push(
      { role: 'assistant', content: completion.content.slice(0, 400) },
      {
        role: 'user',
        content: `That answer is invalid: ${problem}. Reply again with only the JSON object {"reasoning": "<one sentence>", "value": <number between ${request.bounds.min} and ${request.bounds.max}>}.`,
      },
    );
  }
  return { intent: null, rawValue, problems, summary };
}

/** A stable 31-bit seed from text, so replays and retries of a turn ask with the same seed. */
export function seedFrom(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0) & 0x7fffffff;
}
