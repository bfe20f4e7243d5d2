/** Every activity the negotiation worker hosts, built from its dependencies (model client, context units, RAN). */
import { createAgentTurns, type AgentDependencies } from './agent/turns.ts';
import { createNetworkActivities } from './network/index.ts';
import type { RanClient } from './network/ran-client.ts';

export type { BoTurnInput, MediatorTurnInput, AgentDependencies } from './agent/turns.ts';
export type { NetworkActivities } from './network/index.ts';

export function createNegotiationActivities(deps: AgentDependencies, ran?: RanClient) {
  return {
    ...createAgentTurns(deps),
    // Without a RAN the worker still negotiates; a cell session's enforcement then fails visibly and retries.
    ...createNetworkActivities({ ran: ran ?? missingRan, chatModel: deps.chatModel }),
  };
}

const missing = (): Promise<never> => Promise.reject(new Error('this worker was started without a RAN endpoint'));
const missingRan: RanClient = { putNetworkIntent: missing, putA1Policy: missing, setPower: missing };

export type NegotiationActivities = ReturnType<typeof createNegotiationActivities>;
