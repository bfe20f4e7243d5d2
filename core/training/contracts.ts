/**
 * What the training workflows (TypeScript, queue `training`) and the learner (Python, queues
 * `learner` and `sixg`) exchange, as zod schemas whose types the workflows use. The learner's
 * pydantic models are the source: their JSON Schema export
 * (learner/src/sixg_learner/activities.schema.json) is what tests/unit/learner-contract.test.ts
 * checks these against. Field names are the Python side's (snake_case); checkpoints travel as
 * paths, never as tensors, so workflow histories stay small.
 */
import { z } from 'zod';
import { orchestrationSchema, scenarioConfigSchema, twinResultSchema } from '../twin/orchestration.ts';

/** A checkpoint of the learner (its `checkpoint.json` holds step, phase, config, lineage and the step's metrics). */
export const checkpointRefSchema = z.object({
  path: z.string().describe('directory of the checkpoint (LoRA adapter + value head + optimizer + RNG state)'),
  step: z.number().int(),
  phase: z.enum(['base', 'sft', 'distill', 'rs', 'ppo']),
});
export type CheckpointRef = z.infer<typeof checkpointRefSchema>;

/** The paper's phase 1: instruction tuning of the base on telecom Q&A built from the regulatory corpus. */
export const domainFinetuneInputSchema = z.strictObject({
  data_file: z.string().describe('chat-format Q&A JSONL (`python -m sixg_learner.training.domain_qa`)'),
  base: z.string(),
  out_dir: z.string(),
  epochs: z.number().int().min(1).max(20),
  limit: z.number().int().min(1).nullable().describe('train on N pairs drawn at random; null: all'),
  eval_size: z
    .number()
    .int()
    .min(0)
    .nullable()
    .describe('pairs held out for the held-out loss (0: none; null: the learner default)'),
  seed: z.number().int(),
  learning_rate: z.number().gt(0).lt(1).nullable().describe("SFT learning rate; null: the learner's default"),
});
export type DomainFinetuneInput = z.infer<typeof domainFinetuneInputSchema>;

export const domainFinetuneResultSchema = z.object({
  checkpoint: checkpointRefSchema,
  first_loss: z.number().nullable().describe('token-mean answer loss of the first optimiser step'),
  last_loss: z.number().nullable(),
  seconds: z.number(),
});
export type DomainFinetuneResult = z.infer<typeof domainFinetuneResultSchema>;

/**
 * Twin-search distillation (learner `training/distill.py`): SFT of `base` on targets the twin chose per
 * training task (the grid's best plan, or the base's own answer repaired by the fewest edits), the epoch
 * chosen by greedy completion on the dev tasks.
 */
export const distillInputSchema = z.strictObject({
  tasks_file: z.string(),
  dev_tasks_file: z.string().describe('held-out dev tasks: their greedy completion picks the epoch'),
  base: z.string(),
  out_dir: z.string(),
  epochs: z.number().int().min(1).max(20),
  seed: z.number().int(),
  learning_rate: z.number().gt(0).lt(1).nullable().describe("SFT learning rate; null: the learner's default"),
  targets: z
    .enum(['witness', 'repair', 'rule-repair', 'lean-repair', 'polish'])
    .describe(
      "witness: the grid's best plan; repair: the base's own answer where it meets the QoS, else its nearest " +
        "repair; rule-repair: the same from the hand rule's plan; lean-repair: the same from the lean " +
        "rule's plan; polish: as repair, every working answer " +
        'trimmed by up to polish_moves climb moves on eq. (2)',
    ),
  polish_moves: z
    .number()
    .int()
    .min(1)
    .max(8)
    .optional()
    .describe('polish: the most edit-group moves a working answer is trimmed by'),
  target_margin_db: z.number().min(0).max(20).describe('the targets must meet the QoS this many dB below the SNR too'),
  prompt: z
    .enum(['plain', 'link-budget', 'compact', 'lean'])
    .nullable()
    .describe(
      "the prompt the model is trained with (link-budget: plus the task's link budget; compact: the " +
        "same in at most 400 tokens; lean: compact, its budget line naming the leanest plan); null: the base's",
    ),
  device: z
    .string()
    .regex(/^(cpu|cuda(:\d+)?)$/)
    .describe('torch device of the training (cuda needs a GPU on the learner worker machine)'),
});
export type DistillInput = z.infer<typeof distillInputSchema>;

export const distillResultSchema = z.object({
  checkpoint: checkpointRefSchema.describe('the epoch with the best dev completion'),
  dev_completion: z.number().nullable(),
  dev_avg_score_completed: z.number().nullable(),
  first_loss: z.number().nullable(),
  last_loss: z.number().nullable(),
  seconds: z.number(),
});
export type DistillResult = z.infer<typeof distillResultSchema>;

/** A loop's sampling temperature and learning rate; null keeps the learner's default for the phase. */
export const loopSettingsSchema = z.object({
  temperature: z.number().gt(0).max(2).nullable().describe('the policy is softmax(logits / temperature)'),
  learning_rate: z.number().gt(0).lt(1).nullable(),
});

export const rejectionSamplingRoundInputSchema = z.strictObject({
  tasks_file: z.string(),
  init: z.string(),
  out_dir: z.string(),
  round: z.number().int().min(1),
  k: z.number().int().min(1).max(64),
  seed: z.number().int(),
  ...loopSettingsSchema.shape,
});
export type RejectionSamplingRoundInput = z.infer<typeof rejectionSamplingRoundInputSchema>;

export const rejectionSamplingRoundResultSchema = z.object({
  checkpoint: checkpointRefSchema,
  success_rate: z.number(),
  kept: z.number().int(),
  sft_loss: z.number().nullable(),
  seconds: z.number(),
});
export type RejectionSamplingRoundResult = z.infer<typeof rejectionSamplingRoundResultSchema>;

export const ppoStepInputSchema = z.strictObject({
  tasks_file: z.string(),
  init: z.string().describe("the checkpoint to continue from (the previous step's, or the RS result)"),
  out_dir: z.string(),
  step: z.number().int().min(1),
  k: z.number().int().min(1).max(64),
  seed: z.number().int(),
  ref_refresh_steps: z.number().int().min(1).describe('π_ref ← π_θ every this many steps'),
  ...loopSettingsSchema.shape,
});
export type PpoStepInput = z.infer<typeof ppoStepInputSchema>;

export const ppoStepResultSchema = z.object({
  checkpoint: checkpointRefSchema,
  mean_reward: z.number(),
  success_rate: z.number(),
  policy_loss: z.number(),
  value_loss: z.number(),
  entropy: z.number(),
  kl: z.number(),
  seconds: z.number(),
});
export type PpoStepResult = z.infer<typeof ppoStepResultSchema>;

export const evaluationInputSchema = z.strictObject({
  tasks_file: z.string(),
  model: z.string().describe('a checkpoint directory, `base` (the packaged model) or `random` (random valid plans)'),
  out: z.string(),
});
export type EvaluationInput = z.infer<typeof evaluationInputSchema>;

export const evaluationResultSchema = z.object({
  model: z.string(),
  tasks: z.number().int(),
  completion_rate: z.number(),
  average_score_completed: z.number().nullable(),
  mean_reward: z.number(),
  report: z.string(),
});
export type EvaluationResult = z.infer<typeof evaluationResultSchema>;

export const promotionInputSchema = z.strictObject({ checkpoint: z.string(), evaluation: evaluationResultSchema });
export type PromotionInput = z.infer<typeof promotionInputSchema>;

export const promotionResultSchema = z.object({
  promoted: z.boolean(),
  current: z.string().nullable().describe('the promoted model after the decision (a checkpoint path)'),
  previous: z.string().nullable().describe('the one it replaced'),
  reason: z.string(),
});
export type PromotionResult = z.infer<typeof promotionResultSchema>;

/** The learner's activities, by the names the Python worker registers. */
export interface LearnerActivities {
  domain_finetune(input: DomainFinetuneInput): Promise<DomainFinetuneResult>;
  twin_search_distill(input: DistillInput): Promise<DistillResult>;
  rejection_sampling_round(input: RejectionSamplingRoundInput): Promise<RejectionSamplingRoundResult>;
  ppo_step(input: PpoStepInput): Promise<PpoStepResult>;
  evaluate_model(input: EvaluationInput): Promise<EvaluationResult>;
  promote_if_better(input: PromotionInput): Promise<PromotionResult>;
}

/** The QoS a task needs (the paper's del, thr and BER targets): the learner's `Qos` model. */
export const sixgQosSchema = z.strictObject({
  max_delay_ms: z.number().positive().describe('maximum allowable delay, ms'),
  min_throughput_mbps: z.number().positive().describe('minimum required throughput (goodput), Mbps'),
  max_ber: z.number().gt(0).lt(1).describe('maximum tolerable bit error rate'),
});

/**
 * Serving: the promoted 6G-LLM answering one orchestration request (activity `orchestrate_task` of
 * the learner process, on task queue `sixg`; learner/src/sixg_learner/serving/orchestrate.py). The task is
 * the training tasks' shape (description, QoS needs, radio conditions); the reply carries every
 * attempt, the valid plan if one came, and the twin's verdict on it.
 */
export const sixgTaskSchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().min(1),
  qos: sixgQosSchema,
  scenario: scenarioConfigSchema,
});
export type SixgTask = z.infer<typeof sixgTaskSchema>;

/** Invalid answers in a row an orchestration request tolerates (the API's default is 3). */
export const orchestrationAttemptsSchema = z
  .number()
  .int()
  .min(1)
  .max(5)
  .describe('invalid answers in a row before giving up: the first call greedy, the rest sampled');

/** Valid plans the twin judges before an orchestration answers (the learner's default is 4). */
export const orchestrationCandidatesSchema = z
  .number()
  .int()
  .min(1)
  .max(8)
  .describe(
    'valid plans the digital twin judges before answering; the first that meets the QoS is the answer, else the best-scoring one (none given: the learner default, 4)',
  );

/** Moves the twin may make to trim the chosen plan (the learner's default is 2). */
export const orchestrationRefineMovesSchema = z
  .number()
  .int()
  .min(0)
  .max(8)
  .describe(
    'moves the digital twin may make to trim the chosen plan (fewer LDPC iterations, a higher MCS, fewer PRBs …), each still meeting the QoS 1 dB below the SNR; 0: the model’s plan as it is (none given: the learner default, 8: in practice the climb stops at a local optimum after about 2)',
  );

export const orchestrateTaskInputSchema = z.strictObject({
  task: sixgTaskSchema,
  model: z
    .string()
    .nullable()
    .describe('the served model to ask; null: `sixg-llm` when the model server lists it, else the base model'),
  attempts: orchestrationAttemptsSchema,
  candidates: orchestrationCandidatesSchema.nullable(),
  refine_moves: orchestrationRefineMovesSchema.nullable().optional(),
});
export type OrchestrateTaskInput = z.infer<typeof orchestrateTaskInputSchema>;

export const orchestrateTaskResultSchema = z.object({
  model: z.string().describe('the model that answered'),
  attempts: z
    .array(z.object({ text: z.string(), valid: z.boolean(), reason: z.string().nullable() }))
    .describe('every model call, in order; `reason` says why an invalid answer was rejected'),
  candidates: z
    .array(z.object({ orchestration: orchestrationSchema, fulfilled: z.boolean(), score: z.number().nullable() }))
    .optional()
    .describe(
      'every valid plan the twin judged, in order; the answer is the first that met the QoS, else the best score',
    ),
  orchestration: orchestrationSchema.nullable().describe('the chosen plan; null when no attempt gave a valid one'),
  twin: twinResultSchema.nullable().describe("the twin's system-level result for the plan"),
  achieved: z.object({ throughput_mbps: z.number(), latency_ms: z.number(), ber: z.number() }).nullable(),
  fulfilled: z.boolean().describe("the achieved QoS meets the task's needs"),
  score: z.number().nullable().describe('the RLDTF eq. (2) score of the achieved QoS; null without a twin result'),
  refined: z
    .object({
      model_orchestration: orchestrationSchema.describe('the plan the model wrote, before the twin trimmed it'),
      model_score: z.number().describe("the model's plan's eq. (2) score"),
      moves: z.number().int().min(0).describe('trimming moves made; 0: no leaner plan held the QoS with the margin'),
      changed: z.array(z.string()).describe("the edit groups in which the answer differs from the model's plan"),
      margin_db: z.number().describe('each move still met the QoS this far below the SNR'),
    })
    .nullable()
    .optional()
    .describe('how the twin trimmed a plan that met the QoS; null or absent: it was not asked to'),
  seconds: z.number().min(0),
});
export type OrchestrateTaskResult = z.infer<typeof orchestrateTaskResultSchema>;

/** The serving activity, by the name the Python worker registers on the `sixg` queue. */
export interface SixgServingActivities {
  orchestrate_task(input: OrchestrateTaskInput): Promise<OrchestrateTaskResult>;
}
