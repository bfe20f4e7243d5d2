/**
 * RLDTF reinforcement training (Section III-C): PPO steps with token-weighted advantages and twin
 * rewards, one activity per step (the learner saves a checkpoint per step). The workflow
 * continues-as-new every `stepsPerRun` steps, carrying the last checkpoint, so its history stays
 * short however long training runs; progress is a query and two search attributes.
 */
import { continueAsNew, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { trainingPhaseKey, trainingStepKey } from '../../core/training/search-attributes.ts';
import { learnerActivities } from './learner-proxy.ts';
import { activityTimeouts } from '../topology.ts';
import { rlTrainingProgressQuery, type RlTrainingProgress } from './messages.ts';

export interface RlTrainingInput {
  learnerTaskQueue: string;
  tasksFile: string;
  /** The actor's starting checkpoint (the rejection-sampling result). */
  init: string;
  outDir: string;
  totalSteps: number;
  stepsPerRun: number;
  k: number;
  refRefreshSteps: number;
  seed: number;
  /** Sampling temperature and AdamW learning rate of the PPO steps; absent: the learner's defaults. */
  temperature?: number;
  learningRate?: number;
  /** Set by continue-as-new: where the previous run stopped. */
  resume?: { step: number; checkpoint: string; recent: RlTrainingProgress['recent']; run: number };
}

const recentKept = 20;

export async function rlTrainingWorkflow(input: RlTrainingInput): Promise<RlTrainingProgress> {
  const progress: RlTrainingProgress = {
    step: input.resume?.step ?? 0,
    totalSteps: input.totalSteps,
    recent: input.resume?.recent ?? [],
    checkpoint: input.resume?.checkpoint ?? input.init,
    run: input.resume?.run ?? 0,
  };
  setHandler(rlTrainingProgressQuery, () => progress);
  upsertSearchAttributes([{ key: trainingPhaseKey, value: 'rl' }]);
  const learner = learnerActivities(input.learnerTaskQueue, (await activityTimeouts()).learner);

  let stepsThisRun = 0;
  while (progress.step < input.totalSteps) {
    if (stepsThisRun >= input.stepsPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof rlTrainingWorkflow>({
        ...input,
        resume: {
          step: progress.step,
          checkpoint: progress.checkpoint,
          recent: progress.recent,
          run: progress.run + 1,
        },
      });
    }
    const step = progress.step + 1;
    const result = await learner.ppo_step({
      tasks_file: input.tasksFile,
      init: progress.checkpoint,
      out_dir: input.outDir,
      step,
      k: input.k,
      seed: input.seed,
      ref_refresh_steps: input.refRefreshSteps,
      temperature: input.temperature ?? null,
      learning_rate: input.learningRate ?? null,
    });
    progress.step = step;
    progress.checkpoint = result.checkpoint.path;
    progress.recent.push(result);
    if (progress.recent.length > recentKept) progress.recent.shift();
    stepsThisRun += 1;
    upsertSearchAttributes([{ key: trainingStepKey, value: step }]);
  }
  return progress;
}
