/** The local activity through which workflows read temporal.yaml's timeouts (workflows/topology.ts). */
import type { TopologyActivities, TopologyTimeouts } from '../core/temporal/activity-timeouts.ts';

/** `timeouts`: the table the worker validated at start (core/config.ts). */
export function createTopologyActivities(timeouts: TopologyTimeouts): TopologyActivities {
  return { topologyTimeouts: () => Promise.resolve(timeouts) };
}
