/**
 * Rejection sampling (RLDTF Section III-B): each round samples k orchestrations per task, keeps
 * those the twin says meet the QoS, and fine-tunes on them; rounds repeat until the success rate
 * stops growing. One activity per round, so a crashed learner repeats at most the round it was in.
 */
import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { RejectionSamplingRoundResult } from '../../core/training/contracts.ts';
import { trainingPhaseKey, trainingStepKey } from '../../core/training/search-attributes.ts';
import { learnerActivities } from './learner-proxy.ts';
import { activityTimeouts } from '../topology.ts';
import { rejectionSamplingProgressQuery, type RejectionSamplingProgress } from './messages.ts';

export interface RejectionSamplingInput {
  learnerTaskQueue: string;
  tasksFile: string;
  /** The checkpoint to start from (the converted base or a domain-tuned model). */
  init: string;
  outDir: string;
  k: number;
  maxRounds: number;
  seed: number;
  /** Sampling temperature and SFT learning rate of the rounds; absent: the learner's defaults. */
  temperature?: number;
  learningRate?: number;
}

export async function rejectionSamplingWorkflow(input: RejectionSamplingInput): Promise<RejectionSamplingProgress> {
  const progress: RejectionSamplingProgress = { round: 0, rounds: [], best: null, stopped: null };
  setHandler(rejectionSamplingProgressQuery, () => progress);
  upsertSearchAttributes([{ key: trainingPhaseKey, value: 'rejection_sampling' }]);
  const learner = learnerActivities(input.learnerTaskQueue, (await activityTimeouts()).learner);

  let init = input.init;
  for (let round = 1; round <= input.maxRounds; round++) {
    progress.round = round;
    upsertSearchAttributes([{ key: trainingStepKey, value: round }]);
    const result: RejectionSamplingRoundResult = await learner.rejection_sampling_round({
      tasks_file: input.tasksFile,
      init,
      out_dir: `${input.outDir}/round-${round}`,
      round,
      k: input.k,
      seed: input.seed + round,
      temperature: input.temperature ?? null,
      learning_rate: input.learningRate ?? null,
    });
    progress.rounds.push(result);
    const previousBest = progress.best?.success_rate ?? -1;
    if (result.success_rate <= previousBest) {
      progress.stopped = `success rate ${result.success_rate.toFixed(3)} did not grow past ${previousBest.toFixed(3)}`;
      break;
    }
    progress.best = result;
    if (result.kept === 0) {
      progress.stopped = 'no sample met its QoS: nothing to fine-tune on';
      break;
    }
    init = result.checkpoint.path;
  }
  progress.stopped ??= `reached ${input.maxRounds} rounds`;
  return progress;
}
