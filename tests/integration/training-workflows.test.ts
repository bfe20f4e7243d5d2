/**
 * The RLDTF training workflows on a real Temporal dev server. The learner's activities are stood
 * in for by a recording fake on the `learner` queue (the real ones are Python and train a model:
 * learner/tests covers them), so these tests check the orchestration alone: stopping rules,
 * continue-as-new, progress queries, search attributes, the pipeline's children and promotion,
 * and that a restarted worker never repeats a finished step.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type {
  DistillInput,
  DomainFinetuneInput,
  EvaluationInput,
  LearnerActivities,
  PpoStepInput,
  PromotionInput,
  RejectionSamplingRoundInput,
} from '../../core/training/contracts.ts';
import { trainingPhaseKey, trainingStepKey } from '../../core/training/search-attributes.ts';
import { rlTrainingProgressQuery } from '../../workflows/training/messages.ts';
import type { RetrainingInput } from '../../workflows/training/pipeline.ts';
import type { RlTrainingInput } from '../../workflows/training/rl-training.ts';
import { config, startTemporal, workflowBundle } from '../helpers/stack.ts';
import { createTrainingWorker } from '../../workers/training-worker.ts';

let env: TestWorkflowEnvironment;
const learnerQueue = 'test-learner';
const trainingQueue = 'test-training';

/** Records every call; RS success rates follow `rsRates`, PPO steps are numbered by their input. */
function fakeLearner(rsRates: number[], stepDelayMs = 0) {
  const calls: { name: string; key: string }[] = [];
  const rsInits: string[] = [];
  const activities: LearnerActivities = {
    domain_finetune(input: DomainFinetuneInput) {
      calls.push({ name: 'domain', key: `${input.data_file}<-${input.base}@${input.learning_rate}` });
      return Promise.resolve({
        checkpoint: { path: `${input.out_dir}/sft-epoch-${input.epochs}`, step: input.epochs, phase: 'sft' as const },
        first_loss: 3,
        last_loss: 1.5,
        seconds: 0.01,
      });
    },
    twin_search_distill(input: DistillInput) {
      calls.push({
        name: 'distill',
        key: `${input.tasks_file}<-${input.base}:${input.targets}@${input.target_margin_db}dB/${input.prompt ?? 'base'}/${input.device}`,
      });
      return Promise.resolve({
        // the dev split chose the first of the epochs
        checkpoint: { path: `${input.out_dir}/distill-epoch-1`, step: 1, phase: 'distill' as const },
        dev_completion: 0.5,
        dev_avg_score_completed: 0.6,
        first_loss: 1.6,
        last_loss: 0.4,
        seconds: 0.01,
      });
    },
    rejection_sampling_round(input: RejectionSamplingRoundInput) {
      calls.push({ name: 'rs', key: String(input.round) });
      rsInits.push(input.init);
      const rate = rsRates[input.round - 1] ?? 0;
      return Promise.resolve({
        checkpoint: { path: `${input.out_dir}/ckpt`, step: input.round, phase: 'rs' as const },
        success_rate: rate,
        kept: Math.round(rate * 10),
        sft_loss: 1 / input.round,
        seconds: 0.01,
      });
    },
    async ppo_step(input: PpoStepInput) {
      calls.push({ name: 'ppo', key: `${input.step}<-${input.init}` });
      await new Promise((r) => setTimeout(r, stepDelayMs));
      return {
        checkpoint: { path: `${input.out_dir}/step-${input.step}`, step: input.step, phase: 'ppo' as const },
        mean_reward: -0.5 + input.step * 0.1,
        success_rate: input.step / 10,
        policy_loss: 1 / input.step,
        value_loss: 0.1,
        entropy: 1,
        kl: 0.01,
        seconds: 0.01,
      };
    },
    evaluate_model(input: EvaluationInput) {
      calls.push({ name: 'evaluate', key: input.model });
      return Promise.resolve({
        model: input.model,
        tasks: 10,
        completion_rate: 0.6,
        average_score_completed: 0.7,
        mean_reward: 0.2,
        report: input.out,
      });
    },
    promote_if_better(input: PromotionInput) {
      calls.push({ name: 'promote', key: input.checkpoint });
      return Promise.resolve({ promoted: true, current: input.checkpoint, previous: null, reason: 'first model' });
    },
  };
  return { calls, activities, rsInits };
}

async function withWorkers<T>(learner: LearnerActivities, run: () => Promise<T>): Promise<T> {
  const bundle = await workflowBundle('training');
  const training = await createTrainingWorker({
    connection: env.nativeConnection,
    namespace: config.namespace,
    taskQueue: trainingQueue,
    timeouts: config.topology.timeouts,
    workflowBundle: bundle,
  });
  const learnerWorker = await Worker.create({
    connection: env.nativeConnection,
    namespace: config.namespace,
    taskQueue: learnerQueue,
    activities: learner,
  });
  return learnerWorker.runUntil(() => training.runUntil(run));
}

before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

describe('RLDTF training workflows', () => {
  it('rejection sampling stops when the success rate stops growing, and keeps the best round', async () => {
    const { calls, activities } = fakeLearner([0.2, 0.35, 0.3, 0.5]);
    const result: unknown = await withWorkers(activities, () =>
      env.client.workflow.execute('rejectionSamplingWorkflow', {
        taskQueue: trainingQueue,
        workflowId: 'rs-stop',
        args: [
          { learnerTaskQueue: learnerQueue, tasksFile: 't', init: 'base', outDir: 'out', k: 4, maxRounds: 5, seed: 1 },
        ],
      }),
    );
    const progress = result as { rounds: unknown[]; best: { success_rate: number }; stopped: string };
    assert.equal(progress.rounds.length, 3, 'round 3 did not grow: no round 4');
    assert.equal(progress.best.success_rate, 0.35);
    assert.match(progress.stopped, /did not grow/);
    assert.deepEqual(
      calls.map((c) => c.key),
      ['1', '2', '3'],
    );
  });

  it('RL training continues as new every stepsPerRun steps, chaining checkpoints, with progress and search attributes', async () => {
    const { calls, activities } = fakeLearner([]);
    const input: RlTrainingInput = {
      learnerTaskQueue: learnerQueue,
      tasksFile: 't',
      init: 'rs-best',
      outDir: 'rl',
      totalSteps: 5,
      stepsPerRun: 2,
      k: 2,
      refRefreshSteps: 2,
      seed: 1,
    };
    const handle = await env.client.workflow.start('rlTrainingWorkflow', {
      taskQueue: trainingQueue,
      workflowId: 'rl-can',
      args: [input],
    });
    await withWorkers(activities, () => handle.result());
    const final = await handle.describe();
    assert.equal(final.typedSearchAttributes.get(trainingStepKey), 5);
    assert.equal(final.typedSearchAttributes.get(trainingPhaseKey), 'rl');
    // Three runs (steps 1–2, 3–4, 5): the first run's id is the chain's id.
    assert.ok(final.runId !== handle.firstExecutionRunId, 'continued as new');
    assert.deepEqual(
      calls.map((c) => c.key),
      ['1<-rs-best', '2<-rl/step-1', '3<-rl/step-2', '4<-rl/step-3', '5<-rl/step-4'],
      'each step exactly once, each from the previous checkpoint across continue-as-new',
    );
  });

  it('a worker that dies mid-training resumes from history without repeating finished steps', async () => {
    // Slow steps, so the first workers are stopped with steps still to go.
    const { calls, activities } = fakeLearner([], 400);
    const input: RlTrainingInput = {
      learnerTaskQueue: learnerQueue,
      tasksFile: 't',
      init: 'init',
      outDir: 'rl2',
      totalSteps: 6,
      stepsPerRun: 10,
      k: 2,
      refRefreshSteps: 3,
      seed: 1,
    };
    const handle = await env.client.workflow.start('rlTrainingWorkflow', {
      taskQueue: trainingQueue,
      workflowId: 'rl-crash',
      args: [input],
    });
    // First workers: stop once three steps are done (as if the process were killed).
    await withWorkers(activities, async () => {
      for (;;) {
        const p = await handle.query(rlTrainingProgressQuery);
        if (p.step >= 3) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    const before = calls.length;
    assert.ok(before >= 3 && before < 6, `steps before the stop: ${before}`);
    // New workers replay the history and go on.
    await withWorkers(activities, () => handle.result());
    const steps = calls.map((c) => Number(c.key.split('<-')[0]));
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6], 'no step repeated, none skipped');
  });

  it('the retraining pipeline runs the domain step, RS, RL, evaluation and promotion; RS and RL are children', async () => {
    const { calls, activities, rsInits } = fakeLearner([0.2, 0.4, 0.4]);
    const input: RetrainingInput = {
      learnerTaskQueue: learnerQueue,
      trainingTaskQueue: trainingQueue,
      tasksFile: 'train.jsonl',
      evalTasksFile: 'eval.jsonl',
      base: 'base',
      outRoot: 'runs',
      rs: { k: 4, maxRounds: 3 },
      rl: { totalSteps: 3, stepsPerRun: 2, k: 2, refRefreshSteps: 2 },
      domain: { dataFile: 'qa.jsonl', epochs: 1, learningRate: 5e-4 },
      seed: 7,
    };
    const result = (await withWorkers(activities, () =>
      env.client.workflow.execute('retrainingPipelineWorkflow', {
        taskQueue: trainingQueue,
        workflowId: 'pipeline',
        args: [input],
      }),
    )) as { promotion: { promoted: boolean }; rl: { checkpoint: string } };
    assert.equal(result.promotion.promoted, true);
    assert.equal(result.rl.checkpoint, 'runs/pipeline/rl/step-3');
    assert.deepEqual(
      calls.map((c) => c.name),
      ['domain', 'rs', 'rs', 'rs', 'ppo', 'ppo', 'ppo', 'evaluate', 'promote'],
    );
    assert.equal(calls[0]!.key, 'qa.jsonl<-base@0.0005', 'the domain step tunes the base on the Q&A at the rate asked');
    assert.equal(rsInits[0], 'runs/pipeline/domain/sft-epoch-1', 'RS starts from the domain-tuned model');
    assert.equal(calls[4]!.key, '1<-runs/pipeline/rs/round-2/ckpt', 'RL starts from the best RS round');
    const children = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId STARTS_WITH 'pipeline-'` }))
      children.push(wf.workflowId);
    // pipeline-rl appears once per run: it continued as new after 2 of its 3 steps.
    assert.deepEqual([...new Set(children)].sort(), ['pipeline-rl', 'pipeline-rs']);
    assert.equal(children.filter((c) => c === 'pipeline-rl').length, 2);
  });

  it('with a distillation stage, RS starts from the epoch the dev split chose', async () => {
    const { calls, activities, rsInits } = fakeLearner([0.3, 0.2]);
    const input: RetrainingInput = {
      learnerTaskQueue: learnerQueue,
      trainingTaskQueue: trainingQueue,
      tasksFile: 'train.jsonl',
      evalTasksFile: 'eval.jsonl',
      base: 'base',
      outRoot: 'runs',
      rs: { k: 4, maxRounds: 3 },
      rl: { totalSteps: 1, stepsPerRun: 1, k: 2, refRefreshSteps: 2 },
      distill: {
        devTasksFile: 'dev.jsonl',
        epochs: 3,
        targets: 'rule-repair',
        targetMarginDb: 1,
        prompt: 'link-budget',
        device: 'cuda',
      },
      seed: 7,
    };
    const result = (await withWorkers(activities, () =>
      env.client.workflow.execute('retrainingPipelineWorkflow', {
        taskQueue: trainingQueue,
        workflowId: 'distilled-pipeline',
        args: [input],
      }),
    )) as { distill: { checkpoint: { path: string } } };
    assert.deepEqual(
      calls.map((c) => c.name),
      ['distill', 'rs', 'rs', 'ppo', 'evaluate', 'promote'],
    );
    assert.equal(
      calls[0]!.key,
      'train.jsonl<-base:rule-repair@1dB/link-budget/cuda',
      'distilled from the base, with the targets, the prompt and the device asked for',
    );
    assert.equal(result.distill.checkpoint.path, 'runs/distilled-pipeline/distill/distill-epoch-1');
    assert.equal(rsInits[0], 'runs/distilled-pipeline/distill/distill-epoch-1', 'RS starts from the chosen epoch');
  });
});
