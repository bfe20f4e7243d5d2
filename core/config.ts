/**
 * The validated configuration every process starts from: `temporal.yaml` (topology) plus the
 * environment (ports, model endpoint). Parsed with zod at start so a typo fails fast, by name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  boPromptStyles,
  mediatorPromptStyles,
  type BoPromptStyle,
  type MediatorPromptStyle,
} from './negotiation/schemas.ts';
import { topologyTimeoutsSchema } from './temporal/activity-timeouts.ts';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const temporalTopologySchema = z.strictObject({
  server: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    uiPort: z.number().int().min(1).max(65535),
    dbFile: z.string().min(1),
  }),
  namespace: z.string().min(1),
  taskQueues: z.strictObject({
    negotiation: z.string().min(1),
    training: z.string().min(1),
    twin: z.string().min(1),
    learner: z.string().min(1),
    /** The promoted 6G-LLM answering orchestration requests (`orchestrate_task`, learner process). */
    sixg: z.string().min(1),
  }),
  searchAttributes: z
    .record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/),
      z.enum(['Keyword', 'KeywordList', 'Int', 'Double', 'Bool', 'Datetime', 'Text']),
    )
    .refine((attrs) => 'NegotiationStatus' in attrs && 'CellId' in attrs, {
      message: 'searchAttributes must declare NegotiationStatus and CellId',
    }),
  /** Every activity's timeouts and retry policy (core/temporal/activity-timeouts.ts). */
  timeouts: topologyTimeoutsSchema,
  /**
   * Temporal Schedules created (or brought up to date) at start. `paused` is only the initial
   * state: an operator's pause or unpause in the UI survives restarts.
   */
  schedules: z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]{1,62}$/),
      z.strictObject({
        workflowType: z.string().min(1),
        taskQueue: z.enum(['negotiation', 'training']),
        cron: z.array(z.string().min(9)).min(1),
        paused: z.boolean().default(false),
        note: z.string().optional(),
        args: z.record(z.string(), z.unknown()),
      }),
    )
    .default({}),
});
export type TemporalTopology = z.infer<typeof temporalTopologySchema>;

const port = z.coerce.number().int().min(1).max(65535);

/**
 * The shipped negotiators: `split` (the default since session 31: the weighted student taught the split teacher,
 * reads the `ladder-split` prompt; docs/NEGOTIATOR.md), `weighted` (the default of sessions 24–30: reads the
 * `ladder` prompt, takes, halves or holds by how much the topic matters to it, plays the personalities), `trained`
 * (distilled from the rule, the default of sessions 15–23) and `persona` (plays the personalities).
 */
export const negotiatorChoices = ['trained', 'persona', 'weighted', 'split', 'base'] as const;
export type NegotiatorChoice = (typeof negotiatorChoices)[number];
type TrainedNegotiator = Exclude<NegotiatorChoice, 'base'>;

/** A trained negotiator's GGUF, as `sixg_learner.export.ship install-negotiator --which NAME` writes it. */
export const trainedNegotiatorGgufs: Record<TrainedNegotiator, string> = {
  trained: path.join(projectRoot, 'data', 'models', 'negotiator.gguf'),
  persona: path.join(projectRoot, 'data', 'models', 'negotiator-persona.gguf'),
  weighted: path.join(projectRoot, 'data', 'models', 'negotiator-weighted.gguf'),
  split: path.join(projectRoot, 'data', 'models', 'negotiator-split.gguf'),
};

/** The chat model the local server lists, by model-server/serve.py's own rule (`chat_alias`). */
export const trainedNegotiatorModels: Record<TrainedNegotiator, string> = {
  trained: 'maestro-negotiator',
  persona: 'maestro-negotiator-persona',
  weighted: 'maestro-negotiator-weighted',
  split: 'maestro-negotiator-split',
};

/**
 * The BO prompt each model was trained on: the weighted negotiator reads the ladder, the split one the ladder with
 * "moderately" split in words, every other model the plain prompt.
 */
export function boPromptFor(chatModel: string): BoPromptStyle {
  if (chatModel === trainedNegotiatorModels.split) return 'ladder-split';
  return chatModel === trainedNegotiatorModels.weighted ? 'ladder' : 'plain';
}
/**
 * What MAESTRO's off-mode prompt shows with each model. The split negotiator copies the last statistic it is shown,
 * and on held-out games lands nearer eq. (1)'s optimum when that is where the parties' moves point (session 33,
 * docs/NEGOTIATOR.md "The mediator's lever"); every other model was trained and measured on the mean.
 */
export function mediatorPromptFor(chatModel: string): MediatorPromptStyle {
  return chatModel === trainedNegotiatorModels.split ? 'moves' : 'mean';
}
export function localChatModel(negotiator: NegotiatorChoice, gguf?: string): string {
  if (negotiator === 'base') return 'smollm2-135m-instruct';
  return existsSync(gguf ?? trainedNegotiatorGgufs[negotiator])
    ? trainedNegotiatorModels[negotiator]
    : 'smollm2-135m-instruct';
}

const envSchema = z.object({
  MAESTRO_API_PORT: port.default(8080),
  TEMPORAL_PORT: port.optional(),
  TEMPORAL_UI_PORT: port.optional(),
  /** host:port of an external Temporal cluster; when set, `npm start` starts no dev server. */
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().optional(),
  MODEL_SERVER_PORT: port.default(8000),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_API_KEY: z.string().optional(),
  /** The chat model's name; default: the one the local model server serves (localChatModel). */
  MAESTRO_LLM_MODEL: z.string().min(1).optional(),
  /**
   * Which negotiator the local model server serves as its chat model, when it is installed (`npm start`
   * builds the chosen one's GGUF from learner/models/): `split`, the default (learner/models/negotiator-split, the
   * weighted student taught the split teacher: nearer eq. (1)'s optimum than the weighted one on held-out slices
   * b+c+d); `weighted`, the three-round weighted teacher's student (learner/models/negotiator-weighted, the
   * default of sessions 24–30); `trained`, the rule's student (learner/models/negotiator); `persona`, the one that
   * plays the parties' personalities (learner/models/negotiator-persona); `base`, SmolLM2-135M-Instruct as
   * packaged (docs/NEGOTIATOR.md).
   */
  MAESTRO_NEGOTIATOR: z.enum(negotiatorChoices).default('split'),
  /** What a BO's prompt shows (activities/agent/prompts.ts): `auto` is the one the served negotiator was trained on. */
  MAESTRO_BO_PROMPT: z.enum(['auto', ...boPromptStyles]).default('auto'),
  /** What MAESTRO's off-mode prompt shows beside the demands (activities/agent/prompts.ts): `auto` goes with the model. */
  MAESTRO_MEDIATOR_PROMPT: z.enum(['auto', ...mediatorPromptStyles]).default('auto'),
  /**
   * How a JSON schema is passed to the chat endpoint. OpenAI and vLLM take the standard
   * `json_schema` response format; llama-cpp-python's server takes `json_object` with a `schema`.
   * `auto` picks llama_cpp for the project's own local server and json_schema otherwise.
   */
  MAESTRO_LLM_JSON_MODE: z.enum(['auto', 'json_schema', 'llama_cpp']).default('auto'),
  /** Sampling temperature; default 0.7, and 0 (greedy) for the trained negotiator (localChatModel). */
  MAESTRO_LLM_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  MAESTRO_LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Embeddings endpoint (OpenAI-compatible); defaults to the chat endpoint, which serves both locally. */
  MAESTRO_EMBEDDINGS_BASE_URL: z.url().optional(),
  MAESTRO_EMBEDDING_MODEL: z.string().min(1).default('all-minilm-l6-v2'),
  /** Where the regulatory vector index lives (built by `npm run corpus:ingest`). */
  MAESTRO_REGULATORY_INDEX: z.string().min(1).default('data/regulatory-index'),
  /**
   * The arbitral unit's LLM judge: `off`, `escalate` (may add flags the classifier missed) or
   * `decide` (final in the classifier's unsure band). `auto`: off for the local 135M model, whose
   * judgements scored F1 0 on the held-out set (results/arbitral-bench.json), escalate otherwise.
   */
  MAESTRO_ARBITRAL_JUDGE: z.enum(['auto', 'off', 'escalate', 'decide']).default('auto'),
  /** Prometheus /metrics of the negotiation worker. */
  MAESTRO_METRICS_PORT: port.default(9464),
  /** The emulated RAN `npm start` runs (or any RAN exposing the same network-intent routes). */
  MAESTRO_RAN_PORT: port.default(8090),
  MAESTRO_RAN_URL: z.url().optional(),
  /**
   * The near-RT RIC's A1-P (O-RAN A1AP v2, `{apiRoot}` of `/A1-P/v2/…`) the SLA policies go to;
   * default: the RAN's URL, since the emulated RAN serves the standard A1-P paths too.
   */
  MAESTRO_A1_URL: z.url().optional(),
  /** Check each cell plan on the Sionna twin before enforcing it (core/network/twin-check.ts): on or off. */
  MAESTRO_TWIN_CHECK: z.enum(['on', 'off']).default('on'),
  /** dB taken off the SINR a CQI stands for in that check (a link-adaptation backoff). */
  MAESTRO_TWIN_CHECK_MARGIN_DB: z.coerce.number().min(0).max(20).default(0),
  /** Tenants of the intent API (hashed API keys, roles, weights); created with dev keys on first start. */
  MAESTRO_TENANTS_FILE: z.string().min(1).default('data/tenants.json'),
  /** The cells sessions may run on (JSON array of cell configurations); default: the reference n78 cell. */
  MAESTRO_CELLS_FILE: z.string().min(1).optional(),
});

export interface ModelEndpointConfig {
  baseURL: string;
  apiKey: string;
  model: string;
  jsonMode: 'json_schema' | 'llama_cpp';
  temperature: number;
  timeoutMs: number;
  /** True when the endpoint is the model server `npm start` runs itself. */
  isLocalServer: boolean;
}

export interface MaestroConfig {
  topology: TemporalTopology;
  temporalAddress: string;
  namespace: string;
  /** True when maestro runs its own dev server (no TEMPORAL_ADDRESS given). */
  ownsTemporalServer: boolean;
  temporalUiPort: number;
  apiPort: number;
  modelServerPort: number;
  model: ModelEndpointConfig;
  embeddings: EmbeddingsEndpointConfig;
  /** Absolute path of the regulatory vector index folder. */
  regulatoryIndexDir: string;
  /** Which negotiator the local model server serves (MAESTRO_NEGOTIATOR). */
  negotiator: NegotiatorChoice;
  /** What a BO's prompt shows: the style the served negotiator was trained on (MAESTRO_BO_PROMPT). */
  boPrompt: BoPromptStyle;
  /** What MAESTRO's off-mode prompt shows beside the demands (MAESTRO_MEDIATOR_PROMPT). */
  mediatorPrompt: MediatorPromptStyle;
  metricsPort: number;
  arbitralJudge: 'off' | 'escalate' | 'decide';
  ranPort: number;
  ranUrl: string;
  /** The near-RT RIC's A1-P root (MAESTRO_A1_URL; the RAN's URL by default). */
  a1Url: string;
  /** The cell sessions' twin check before enforcement (MAESTRO_TWIN_CHECK, MAESTRO_TWIN_CHECK_MARGIN_DB). */
  twinCheck: { enabled: boolean; sinrMarginDb: number };
  /** Absolute path of the tenants file. */
  tenantsFile: string;
  /** Absolute path of a cells file, when one is configured. */
  cellsFile: string | null;
}

export interface EmbeddingsEndpointConfig {
  baseURL: string;
  apiKey: string;
  model: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function formatIssues(source: string, error: z.ZodError): string {
  return `${source} is invalid:\n${error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`;
}

export function loadTopology(file = path.join(projectRoot, 'temporal.yaml')): TemporalTopology {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = temporalTopologySchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(file, parsed.error));
  return parsed.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): MaestroConfig {
  const topology = loadTopology();
  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) throw new ConfigError(formatIssues('environment', parsedEnv.error));
  const e = parsedEnv.data;
  const temporalPort = e.TEMPORAL_PORT ?? topology.server.port;
  const localModelURL = `http://127.0.0.1:${e.MODEL_SERVER_PORT}/v1`;
  const baseURL = e.OPENAI_BASE_URL ?? localModelURL;
  const isLocalServer = baseURL === localModelURL;
  const chatModel = e.MAESTRO_LLM_MODEL ?? localChatModel(e.MAESTRO_NEGOTIATOR);
  return {
    topology,
    temporalAddress: e.TEMPORAL_ADDRESS ?? `${topology.server.host}:${temporalPort}`,
    namespace: e.TEMPORAL_NAMESPACE ?? topology.namespace,
    ownsTemporalServer: e.TEMPORAL_ADDRESS === undefined,
    temporalUiPort: e.TEMPORAL_UI_PORT ?? topology.server.uiPort,
    apiPort: e.MAESTRO_API_PORT,
    modelServerPort: e.MODEL_SERVER_PORT,
    model: {
      baseURL,
      // The local server accepts any key; the openai client refuses to start without one.
      apiKey: e.OPENAI_API_KEY ?? 'local-no-key',
      model: chatModel,
      jsonMode:
        e.MAESTRO_LLM_JSON_MODE === 'auto' ? (isLocalServer ? 'llama_cpp' : 'json_schema') : e.MAESTRO_LLM_JSON_MODE,
      // The distilled negotiator decodes greedily: sampled at 0.7 its MAESTRO strayed from the demands'
      // mean more often (held-out error 9.3 against 6.7 Mbps greedy; docs/NEGOTIATOR.md).
      temperature: e.MAESTRO_LLM_TEMPERATURE ?? (Object.values(trainedNegotiatorModels).includes(chatModel) ? 0 : 0.7),
      timeoutMs: e.MAESTRO_LLM_TIMEOUT_MS,
      isLocalServer,
    },
    embeddings: {
      baseURL: e.MAESTRO_EMBEDDINGS_BASE_URL ?? baseURL,
      apiKey: e.OPENAI_API_KEY ?? 'local-no-key',
      model: e.MAESTRO_EMBEDDING_MODEL,
    },
    regulatoryIndexDir: path.resolve(projectRoot, e.MAESTRO_REGULATORY_INDEX),
    negotiator: e.MAESTRO_NEGOTIATOR,
    boPrompt: e.MAESTRO_BO_PROMPT === 'auto' ? boPromptFor(chatModel) : e.MAESTRO_BO_PROMPT,
    mediatorPrompt: e.MAESTRO_MEDIATOR_PROMPT === 'auto' ? mediatorPromptFor(chatModel) : e.MAESTRO_MEDIATOR_PROMPT,
    metricsPort: e.MAESTRO_METRICS_PORT,
    arbitralJudge:
      e.MAESTRO_ARBITRAL_JUDGE === 'auto' ? (isLocalServer ? 'off' : 'escalate') : e.MAESTRO_ARBITRAL_JUDGE,
    ranPort: e.MAESTRO_RAN_PORT,
    ranUrl: e.MAESTRO_RAN_URL ?? `http://127.0.0.1:${e.MAESTRO_RAN_PORT}`,
    a1Url: e.MAESTRO_A1_URL ?? e.MAESTRO_RAN_URL ?? `http://127.0.0.1:${e.MAESTRO_RAN_PORT}`,
    twinCheck: { enabled: e.MAESTRO_TWIN_CHECK === 'on', sinrMarginDb: e.MAESTRO_TWIN_CHECK_MARGIN_DB },
    tenantsFile: path.resolve(projectRoot, e.MAESTRO_TENANTS_FILE),
    cellsFile: e.MAESTRO_CELLS_FILE ? path.resolve(projectRoot, e.MAESTRO_CELLS_FILE) : null,
  };
}
