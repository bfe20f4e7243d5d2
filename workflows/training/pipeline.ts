/**
 * The retraining pipeline a Temporal Schedule starts (temporal.yaml `schedules`): the domain step
 * (optional: instruction tuning on the regulatory corpus's Q&A) → twin-search distillation
 * (optional: SFT on the twin's best grid plan per training task) → rejection sampling → RL →
 * evaluation → promotion if the new model beats the promoted one. RS and RL are child workflows
 * with their own histories, so an engineer opens the stage that went wrong.
 */
import { executeChild, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type {
  DistillResult,
  DomainFinetuneResult,
  EvaluationResult,
  PromotionResult,
} from '../../core/training/contracts.ts';
import { trainingPhaseKey } from '../../core/training/search-attributes.ts';
import { learnerActivities } from './learner-proxy.ts';
import { activityTimeouts } from '../topology.ts';
import type { RejectionSamplingProgress, RlTrainingProgress } from './messages.ts';
import { rejectionSamplingWorkflow } from './rejection-sampling.ts';
import { rlTrainingWorkflow } from './rl-training.ts';

export interface RetrainingInput {
  learnerTaskQueue: string;
  trainingTaskQueue: string;
  tasksFile: string;
  evalTasksFile: string;
  base: string;
  /**
   * The paper's phase 1 before rejection sampling: LoRA instruction tuning of `base` on this Q&A
   * file; RS then starts from its checkpoint. Absent: RS starts from `base`.
   */
  domain?: { dataFile: string; epochs: number; limit?: number | null; evalSize?: number; learningRate?: number };
  /**
   * Before rejection sampling: SFT on the training tasks' grid witnesses (the twin's best plan per
   * task), the epoch chosen on `devTasksFile`; RS then starts from it. Absent: no such stage.
   */
  distill?: {
    devTasksFile: string;
    epochs: number;
    learningRate?: number;
    /**
     * What the model imitates (default 'witness'): the grid's best plan, its own answer repaired, the
     * hand rule's plan repaired, the lean rule's plan repaired ('lean-repair'), or its own answer repaired and trimmed toward the twin's local optimum
     * by up to `polishMoves` moves (default 2).
     */
    targets?: 'witness' | 'repair' | 'rule-repair' | 'lean-repair' | 'polish';
    polishMoves?: number;
    targetMarginDb?: number;
    /** The prompt the model learns with (default: the base's); 'link-budget' adds the task's link budget,
     * 'compact' says the same in at most 400 tokens, 'lean' names the budget's leanest plan too. */
    prompt?: 'plain' | 'link-budget' | 'compact' | 'lean';
    /** Where the learner worker trains (default 'cpu'); 'cuda' needs a worker on a machine with a GPU. */
    device?: string;
  };
  /** Runs land in `<outRoot>/<workflow id>/…`. */
  outRoot: string;
  /** `temperature`, `learningRate`: the loops' settings; absent, the learner's defaults for the phase. */
  rs: { k: number; maxRounds: number; temperature?: number; learningRate?: number };
  rl: {
    totalSteps: number;
    stepsPerRun: number;
    k: number;
    refRefreshSteps: number;
    temperature?: number;
    learningRate?: number;
  };
  seed: number;
}

export interface RetrainingResult {
  domain: DomainFinetuneResult | null;
  distill?: DistillResult | null;
  rs: RejectionSamplingProgress;
  rl: RlTrainingProgress;
  evaluation: EvaluationResult;
  promotion: PromotionResult;
}

/** The settings a stage's input names, and nothing for those it leaves to the learner. */
const loopSettings = (stage: { temperature?: number; learningRate?: number }) => ({
  ...(stage.temperature !== undefined ? { temperature: stage.temperature } : {}),
  ...(stage.learningRate !== undefined ? { learningRate: stage.learningRate } : {}),
});

export async function retrainingPipelineWorkflow(input: RetrainingInput): Promise<RetrainingResult> {
  const id = workflowInfo().workflowId;
  const out = `${input.outRoot}/${id}`;
  const learner = learnerActivities(input.learnerTaskQueue, (await activityTimeouts()).learner);

  // Pipelines started before the domain stage existed replay without it (no activity in their history).
  let domain: DomainFinetuneResult | null = null;
  if (input.domain && patched('pipeline-domain-stage')) {
    upsertSearchAttributes([{ key: trainingPhaseKey, value: 'pipeline:domain' }]);
    domain = await learner.domain_finetune({
      data_file: input.domain.dataFile,
      base: input.base,
      out_dir: `${out}/domain`,
      epochs: input.domain.epochs,
      limit: input.domain.limit ?? null,
      // null: the learner's own default (domain_sft.py's Args), declared only there
      eval_size: input.domain.evalSize ?? null,
      seed: input.seed,
      learning_rate: input.domain.learningRate ?? null,
    });
  }
  // Pipelines started before the distillation stage existed replay without it.
  let distill: DistillResult | null = null;
  if (input.distill && patched('pipeline-distill-stage')) {
    upsertSearchAttributes([{ key: trainingPhaseKey, value: 'pipeline:distill' }]);
    distill = await learner.twin_search_distill({
      tasks_file: input.tasksFile,
      dev_tasks_file: input.distill.devTasksFile,
      base: domain?.checkpoint.path ?? input.base,
      out_dir: `${out}/distill`,
      epochs: input.distill.epochs,
      seed: input.seed,
      learning_rate: input.distill.learningRate ?? null,
      targets: input.distill.targets ?? 'witness',
      target_margin_db: input.distill.targetMarginDb ?? 0,
      // only with polish targets, so that the inputs of earlier distillations replay unchanged
      ...(input.distill.targets === 'polish' ? { polish_moves: input.distill.polishMoves ?? 2 } : {}),
      prompt: input.distill.prompt ?? null,
      device: input.distill.device ?? 'cpu',
    });
  }
  const rsInit = distill?.checkpoint.path ?? domain?.checkpoint.path ?? input.base;

  upsertSearchAttributes([{ key: trainingPhaseKey, value: 'pipeline:rejection_sampling' }]);
  const rs = await executeChild(rejectionSamplingWorkflow, {
    workflowId: `${id}-rs`,
    taskQueue: input.trainingTaskQueue,
    args: [
      {
        learnerTaskQueue: input.learnerTaskQueue,
        tasksFile: input.tasksFile,
        init: rsInit,
        outDir: `${out}/rs`,
        k: input.rs.k,
        maxRounds: input.rs.maxRounds,
        seed: input.seed,
        ...loopSettings(input.rs),
      },
    ],
  });
  const rlInit = rs.best?.checkpoint.path ?? rsInit;

  upsertSearchAttributes([{ key: trainingPhaseKey, value: 'pipeline:rl' }]);
  const rl = await executeChild(rlTrainingWorkflow, {
    workflowId: `${id}-rl`,
    taskQueue: input.trainingTaskQueue,
    args: [
      {
        learnerTaskQueue: input.learnerTaskQueue,
        tasksFile: input.tasksFile,
        init: rlInit,
        outDir: `${out}/rl`,
        totalSteps: input.rl.totalSteps,
        stepsPerRun: input.rl.stepsPerRun,
        k: input.rl.k,
        refRefreshSteps: input.rl.refRefreshSteps,
        seed: input.seed,
        ...loopSettings(input.rl),
      },
    ],
  });

  upsertSearchAttributes([{ key: trainingPhaseKey, value: 'pipeline:evaluate' }]);
  const evaluation = await learner.evaluate_model({
    tasks_file: input.evalTasksFile,
    model: rl.checkpoint,
    out: `${out}/evaluation.json`,
  });
  upsertSearchAttributes([{ key: trainingPhaseKey, value: 'pipeline:promote' }]);
  const promotion = await learner.promote_if_better({ checkpoint: rl.checkpoint, evaluation });
  upsertSearchAttributes([{ key: trainingPhaseKey, value: promotion.promoted ? 'promoted' : 'not_promoted' }]);
  return { domain, ...(distill ? { distill } : {}), rs, rl, evaluation, promotion };
}
