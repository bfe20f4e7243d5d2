/** One rollout of a scenario: what the environment hands to training and to the summary. */
import type { NegotiationState } from '../core/negotiation/types.ts';
import type { RecordedTurn } from './policies.ts';
import type { EpisodeReward } from './rewards.ts';
import type { Scenario } from './scenarios.ts';

export interface Episode {
  scenario: Scenario;
  sample: number;
  workflowId: string;
  state: NegotiationState;
  wallSeconds: number;
  reward: EpisodeReward;
  /** null for a game finished by an earlier, interrupted run, or a baseline policy (no LLM turns). */
  turns: RecordedTurn[] | null;
}
