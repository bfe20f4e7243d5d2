/**
 * The one way maestro talks to an LLM: an OpenAI-compatible chat endpoint reached through the
 * `openai` package, with schema-constrained JSON output. Pointing OPENAI_BASE_URL, OPENAI_API_KEY
 * and MAESTRO_LLM_MODEL at GPT-4o or a vLLM server runs the same code unchanged.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { ModelEndpointConfig } from '../config.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StructuredChatRequest {
  messages: ChatMessage[];
  /** A short identifier of the answer's shape, e.g. 'service_intent'. */
  schemaName: string;
  /** JSON Schema the answer must follow; the server constrains decoding to it. */
  jsonSchema: Record<string, unknown>;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  /** Which agent turn asks (for observers such as the negotiator's rollout recorder); never sent to the endpoint. */
  turn?: TurnLabel;
}

export interface TurnLabel {
  negotiationId: string;
  round: number;
  /** A BO's party id, or 'maestro'. */
  agent: string;
}

export interface ChatCompletion {
  /** The raw text the model produced (to be validated by the caller: never trusted). */
  content: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  model: string;
}

export interface ChatModel {
  readonly name: string;
  completeJson(request: StructuredChatRequest, signal?: AbortSignal): Promise<ChatCompletion>;
}

/**
 * llama-cpp-python's server rejects OpenAI's `json_schema` response format but constrains
 * `json_object` to a `schema` given beside it; OpenAI and vLLM take `json_schema`.
 */
function responseFormatFor(
  mode: ModelEndpointConfig['jsonMode'],
  request: StructuredChatRequest,
): ChatCompletionCreateParamsNonStreaming['response_format'] {
  if (mode === 'llama_cpp') {
    const llamaCppFormat = { type: 'json_object' as const, schema: request.jsonSchema };
    return llamaCppFormat;
  }
  return { type: 'json_schema', json_schema: { name: request.schemaName, schema: request.jsonSchema, strict: true } };
}

export function createChatModel(config: ModelEndpointConfig): ChatModel {
  const client = new OpenAI({
    baseURL: config.baseURL,
    apiKey: config.apiKey,
    timeout: config.timeoutMs,
    maxRetries: 1,
  });
  return {
    name: config.model,
    async completeJson(request, signal) {
      const started = performance.now();
      const completion = await client.chat.completions.create(
        {
          model: config.model,
          messages: request.messages,
          response_format: responseFormatFor(config.jsonMode, request),
          max_tokens: request.maxTokens,
          temperature: request.temperature ?? config.temperature,
          ...(request.seed === undefined ? {} : { seed: request.seed }),
        },
        signal ? { signal } : undefined,
      );
      return {
        content: completion.choices[0]?.message.content ?? '',
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        latencyMs: performance.now() - started,
        model: completion.model,
      };
    },
  };
}

/** Lists the endpoint's models: the cheapest call that proves the server answers. */
export async function probeModelEndpoint(config: ModelEndpointConfig, timeoutMs = 2000): Promise<string[]> {
  const client = new OpenAI({ baseURL: config.baseURL, apiKey: config.apiKey, timeout: timeoutMs, maxRetries: 0 });
  const page = await client.models.list();
  return page.data.map((m) => m.id);
}
