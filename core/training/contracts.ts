/**
 * What the training workflows (TypeScript, queue `training`) and the learner (Python, queue
 * `learner`) exchange. Field names are the Python side's (snake_case), because the learner's
 * pydantic models parse these payloads; checkpoints travel as paths, never as tensors, so
 * workflow histories stay small.
 */
import type { z } from 'zod';
import type { Orchestration, scenarioConfigSchema, TwinResult } from '../twin/orchestration.ts';

/** A checkpoint of the learner (its `checkpoint.json` holds step, phase, config, lineage and the step's metrics). */
export interface CheckpointRef {
  /** Directory of the checkpoint (LoRA adapter + value head + optimizer + RNG state, or a full model). */
  path: string;
  step: number;
  phase: 'base' | 'sft' | 'rs' | 'ppo';
}

/** The paper's phase 1: instruction tuning of the base on telecom Q&A built from the regulatory corpus. */
export interface DomainFinetuneInput {
  /** Chat-format Q&A JSONL (`python -m sixg_learner.domain_qa`). */
  data_file: string;
  base: string;
  out_dir: string;
  epochs: number;
  /** Train on N pairs drawn at random (small runs); null: all. */
  limit: number | null;
  /** Pairs held out for the held-out loss and exact-match check (0: none). */
  eval_size: number;
  seed: number;
}

export interface DomainFinetuneResult {
  checkpoint: CheckpointRef;
  /** Token-mean answer loss of the first and the last optimiser step. */
  first_loss: number | null;
  last_loss: number | null;
  seconds: number;
}

export interface RejectionSamplingRoundInput {
  tasks_file: string;
  init: string;
  out_dir: string;
  round: number;
  k: number;
  seed: number;
}

export interface RejectionSamplingRoundResult {
  checkpoint: CheckpointRef;
  success_rate: number;
  kept: number;
  sft_loss: number | null;
  seconds: number;
}

export interface PpoStepInput {
  tasks_file: string;
  /** The checkpoint to continue from (the previous step's, or the RS result for step 1). */
  init: string;
  out_dir: string;
  step: number;
  k: number;
  seed: number;
  /** Refresh the reference policy from the actor every this many steps (paper: at checkpoint intervals). */
  ref_refresh_steps: number;
}

export interface PpoStepResult {
  checkpoint: CheckpointRef;
  mean_reward: number;
  success_rate: number;
  policy_loss: number;
  value_loss: number;
  entropy: number;
  kl: number;
  seconds: number;
}

export interface EvaluationInput {
  tasks_file: string;
  /** A checkpoint directory, `base` (the packaged model) or `random` (random valid plans). */
  model: string;
  out: string;
}

export interface EvaluationResult {
  model: string;
  tasks: number;
  completion_rate: number;
  average_score_completed: number | null;
  mean_reward: number;
  report: string;
}

export interface PromotionInput {
  checkpoint: string;
  evaluation: EvaluationResult;
}

export interface PromotionResult {
  promoted: boolean;
  /** The promoted model after the decision (a checkpoint path), and the one it replaced. */
  current: string | null;
  previous: string | null;
  reason: string;
}

/** The learner's activities, by the names the Python worker registers. */
export interface LearnerActivities {
  domain_finetune(input: DomainFinetuneInput): Promise<DomainFinetuneResult>;
  rejection_sampling_round(input: RejectionSamplingRoundInput): Promise<RejectionSamplingRoundResult>;
  ppo_step(input: PpoStepInput): Promise<PpoStepResult>;
  evaluate_model(input: EvaluationInput): Promise<EvaluationResult>;
  promote_if_better(input: PromotionInput): Promise<PromotionResult>;
}

/**
 * Serving: the promoted 6G-LLM answering one orchestration request (activity `orchestrate_task` of
 * the learner process, on task queue `sixg`; learner/src/sixg_learner/orchestrate.py). The task is
 * the training tasks' shape (description, QoS needs, radio conditions); the reply carries every
 * attempt, the valid plan if one came, and the twin's verdict on it.
 */
export interface SixgTask {
  id: string;
  description: string;
  qos: { max_delay_ms: number; min_throughput_mbps: number; max_ber: number };
  scenario: z.output<typeof scenarioConfigSchema>;
}

export interface OrchestrateTaskInput {
  task: SixgTask;
  /** The served model to ask; null: `sixg-llm` when the model server lists it, else `smollm2-135m-instruct`. */
  model: string | null;
  /** Model calls until a valid plan (1..5): the first greedy, the rest sampled. */
  attempts: number;
}

export interface OrchestrateTaskResult {
  /** The model that answered. */
  model: string;
  /** Every model call, in order; `reason` says why an invalid answer was rejected. */
  attempts: { text: string; valid: boolean; reason: string | null }[];
  /** The valid plan, or null when no attempt gave one. */
  orchestration: Orchestration | null;
  /** The twin's system-level result for the plan (null: no plan, or the twin could not run it). */
  twin: TwinResult | null;
  achieved: { throughput_mbps: number; latency_ms: number; ber: number } | null;
  /** Whether the achieved QoS meets the task's needs. */
  fulfilled: boolean;
  /** The RLDTF eq. (2) score of the achieved QoS against the needs; null without a twin result. */
  score: number | null;
  seconds: number;
}

/** The serving activity, by the name the Python worker registers on the `sixg` queue. */
export interface SixgServingActivities {
  orchestrate_task(input: OrchestrateTaskInput): Promise<OrchestrateTaskResult>;
}
