/** The network plane's activities: enforcement through the slice operator, cell power, switch-off votes. */
import type { ChatModel } from '../../core/llm/chat-model.ts';
import type { A1Client } from './a1-client.ts';
import { createEnforcementActivities } from './enforcement.ts';
import type { RanClient } from './ran-client.ts';
import { createSwitchOffVoteActivity } from './switch-off-vote.ts';

export interface NetworkDependencies {
  ran: RanClient;
  /** The near-RT RIC's A1-P (the emulated RAN's by default). */
  a1: A1Client;
  chatModel: ChatModel;
}

export function createNetworkActivities(deps: NetworkDependencies) {
  return { ...createEnforcementActivities(deps.ran, deps.a1), ...createSwitchOffVoteActivity(deps.chatModel) };
}

export type NetworkActivities = ReturnType<typeof createNetworkActivities>;
