/** What both agent turns are built from: the worker's dependencies, their defaults, the decision metrics. */
import type { ChatModel } from '../../core/llm/chat-model.ts';
import type { NegotiationMetrics } from '../../core/observability/metrics.ts';
import type { ContextUnit } from './context-units.ts';
import type { IntentAnswer } from './llm-unit.ts';
import type { BoPromptStyle, MediatorPromptStyle } from '../../core/negotiation/schemas.ts';

export interface AgentDependencies {
  chatModel: ChatModel;
  contextUnits?: readonly ContextUnit[];
  /** LLM attempts per decision before the optimizer substitutes (default 2). */
  maxLlmAttempts?: number;
  /** Answer length cap: intents are one value and one sentence (default 96 tokens). */
  maxAnswerTokens?: number;
  /** What a BO's prompt shows (prompts.ts `boPromptStyles`); it goes with the negotiator served (default `plain`). */
  boPrompt?: BoPromptStyle;
  /** What MAESTRO's off-mode prompt shows beside the demands (prompts.ts `mediatorPromptStyles`; default `mean`). */
  mediatorPrompt?: MediatorPromptStyle;
  /** Prometheus metrics of the worker process, when it serves them. */
  metrics?: NegotiationMetrics;
}

export function turnSettings(deps: AgentDependencies): {
  contextUnits: readonly ContextUnit[];
  maxAttempts: number;
  maxTokens: number;
} {
  return {
    contextUnits: deps.contextUnits ?? [],
    maxAttempts: deps.maxLlmAttempts ?? 2,
    maxTokens: deps.maxAnswerTokens ?? 96,
  };
}

/** One agent decision in the worker's metrics: the model's latency, a substitution, an outage. */
export function observeDecision(
  metrics: NegotiationMetrics | undefined,
  role: 'bo' | 'maestro',
  answer: IntentAnswer,
  substituted: boolean,
): void {
  metrics?.llmLatency.observe({ role }, answer.summary.latencyMs / 1000);
  if (substituted) metrics?.fallbacks.inc({ role });
  if (answer.outage) metrics?.llmOutages.inc({ role, model: answer.summary.model });
}
