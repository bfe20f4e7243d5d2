/**
 * The contextual units of the agent pipeline (paper Section III, units 2-4: arbitral, regulatory,
 * observability) plug in here. Each one reads the turn's situation and contributes notes for the
 * prompt, bounds for validation, warnings, citations and flags. Which units run is the worker's
 * choice (activities/index.ts); the workflow only sees their contributions in the turn results.
 */
import type { NetworkState, Party, Topic } from '../../core/negotiation/schemas.ts';
import type { AgentRole, ContextContribution } from '../../core/negotiation/types.ts';

export interface ContextUnitInput {
  role: AgentRole;
  negotiationId: string;
  round: number;
  topic: Topic;
  /** The deciding BO (for a BO turn), or null for MAESTRO. */
  party: Party | null;
  /** Incoming public intents this turn reads (others' values and reasoning). */
  incoming: Record<string, { value: number; reasoning: string }>;
  /** The network's latest state as the workflow received it (observability), or null. */
  network: NetworkState | null;
}

export interface ContextUnit {
  readonly name: ContextContribution['unit'];
  contribute(input: ContextUnitInput, signal?: AbortSignal): Promise<ContextContribution>;
}

export async function runContextUnits(
  units: readonly ContextUnit[],
  input: ContextUnitInput,
  signal?: AbortSignal,
): Promise<ContextContribution[]> {
  return Promise.all(units.map((u) => u.contribute(input, signal)));
}

/** Narrows the topic's bounds by what the context units require. */
export function effectiveBounds(topic: Topic, context: ContextContribution[]): { min: number; max: number } {
  let { min, max } = topic;
  for (const c of context) {
    if (c.bounds?.min !== undefined) min = Math.max(min, c.bounds.min);
    if (c.bounds?.max !== undefined) max = Math.min(max, c.bounds.max);
  }
  return min <= max ? { min, max } : { min: topic.min, max: topic.max };
}
