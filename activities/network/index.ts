/** The network plane's activities: enforcement through the slice operator, cell power, switch-off votes. */
import type { ChatModel } from '../../core/llm/chat-model.ts';
import { createEnforcementActivities } from './enforcement.ts';
import type { RanClient } from './ran-client.ts';
import { createSwitchOffVoteActivity } from './switch-off-vote.ts';

export interface NetworkDependencies {
  ran: RanClient;
  chatModel: ChatModel;
}

export function createNetworkActivities(deps: NetworkDependencies) {
  return { ...createEnforcementActivities(deps.ran), ...createSwitchOffVoteActivity(deps.chatModel) };
}

export type NetworkActivities = ReturnType<typeof createNetworkActivities>;
