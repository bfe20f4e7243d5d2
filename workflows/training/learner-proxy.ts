/** The learner's activities as the training workflows call them: long, heartbeating, retried. */
import { proxyActivities } from '@temporalio/workflow';
import type { LearnerActivities } from '../../core/training/contracts.ts';

/**
 * A round of sampling + twin scoring + an SFT or PPO update takes minutes on a CPU. The learner
 * heartbeats during it; a learner that dies is noticed within the heartbeat timeout and the
 * activity is retried on another (or the restarted) learner, which resumes from the checkpoint
 * the attempt left — steps already finished are never repeated (their checkpoints exist).
 */
export const learnerActivities = (taskQueue: string) =>
  proxyActivities<LearnerActivities>({
    taskQueue,
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '5 minutes',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['InvalidTrainingInput'],
    },
  });
