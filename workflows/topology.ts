/**
 * temporal.yaml's activity timeouts, as a workflow gets them: workflow code reads no files, so the
 * worker's validated table comes in through a local activity, run once at the start of each run
 * and recorded in its history (a replay reads it back, whatever the file says by then).
 *
 * Runs recorded before the timeouts moved to temporal.yaml have no such marker. They replay, and
 * resume, with the values that were hard-coded then (`timeoutsBeforeTopology`); drop that branch
 * with `deprecatePatch` once no such run can be open anywhere.
 */
import { patched, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityTimeouts, TopologyActivities } from '../core/temporal/activity-timeouts.ts';

export const timeoutsFromTopologyPatch = 'activity-timeouts-from-temporal-yaml';

const local = proxyLocalActivities<TopologyActivities>({ startToCloseTimeout: '10 seconds' });

export type WorkflowActivityTimeouts = Pick<
  Awaited<ReturnType<TopologyActivities['topologyTimeouts']>>,
  'learner' | 'sixgOrchestration' | 'twin' | 'twinCheck' | 'ranEnforcement' | 'switchOffVote'
>;

/** The timeouts the workflows hard-coded before this file existed (for the runs recorded then). */
export const timeoutsBeforeTopology: WorkflowActivityTimeouts = {
  learner: {
    startToClose: '2 hours',
    heartbeat: '5 minutes',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '500 seconds', maximumAttempts: 5 },
  },
  sixgOrchestration: {
    startToClose: '5 minutes',
    scheduleToClose: '20 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '200 seconds', maximumAttempts: 3 },
  },
  twin: {
    startToClose: '30 minutes',
    heartbeat: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '100 seconds', maximumAttempts: 3 },
  },
  // no run recorded then checks plans on the twin; the value only completes the type
  twinCheck: {
    startToClose: '20 seconds',
    scheduleToClose: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 3 },
  },
  ranEnforcement: {
    startToClose: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10 },
  },
  switchOffVote: {
    startToClose: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '100 seconds', maximumAttempts: 3 },
  },
};

/** This run's activity timeouts: temporal.yaml's, as the worker read it (see the module comment). */
export async function activityTimeouts(): Promise<WorkflowActivityTimeouts> {
  if (!patched(timeoutsFromTopologyPatch)) return timeoutsBeforeTopology;
  return local.topologyTimeouts();
}

export type { ActivityTimeouts };
