/** The learner's activities as the training workflows call them: long, heartbeating, retried. */
import { proxyActivities } from '@temporalio/workflow';
import type { LearnerActivities } from '../../core/training/contracts.ts';
import { activityOptions, type ActivityTimeouts } from '../../core/temporal/activity-timeouts.ts';

/**
 * A round of sampling + twin scoring + an SFT or PPO update takes minutes on a CPU. The learner
 * heartbeats during it; a learner that dies is noticed within the heartbeat timeout and the
 * activity is retried on another (or the restarted) learner, which resumes from the checkpoint
 * the attempt left — steps already finished are never repeated (their checkpoints exist).
 * `timeouts`: temporal.yaml's `timeouts.learner` (workflows/topology.ts).
 */
export const learnerActivities = (taskQueue: string, timeouts: ActivityTimeouts) =>
  proxyActivities<LearnerActivities>({
    taskQueue,
    // A bad input (the learner's pydantic check) fails the same way on every attempt.
    ...activityOptions(timeouts, ['InvalidTrainingInput']),
  });
