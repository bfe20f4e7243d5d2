/** Every activity the negotiation worker hosts, built from its dependencies (model client, context units, RAN). */
import { createAgentTurns, type AgentDependencies } from './agent/turns.ts';
import { createNetworkActivities } from './network/index.ts';
import type { A1Client } from './network/a1-client.ts';
import type { RanClient } from './network/ran-client.ts';
import type { Southbound } from './network/southbound.ts';

export type { BoTurnInput, MediatorTurnInput, AgentDependencies } from './agent/turns.ts';
export type { NetworkActivities } from './network/index.ts';

export function createNegotiationActivities(deps: AgentDependencies, southbound?: Southbound) {
  return {
    ...createAgentTurns(deps),
    // Without a RAN the worker still negotiates; a cell session's enforcement then fails visibly and retries.
    ...createNetworkActivities({
      ran: southbound?.ran ?? missingRan,
      a1: southbound?.a1 ?? missingA1,
      chatModel: deps.chatModel,
    }),
  };
}

const missing = (): Promise<never> => Promise.reject(new Error('this worker was started without a RAN endpoint'));
const missingRan: RanClient = { putNetworkIntent: missing, setPower: missing };
const missingA1: A1Client = {
  baseUrl: '(none)',
  policyTypeIds: missing,
  policyType: missing,
  policyIds: missing,
  putPolicy: missing,
  getPolicy: missing,
  deletePolicy: missing,
  policyStatus: missing,
};

export type NegotiationActivities = ReturnType<typeof createNegotiationActivities>;
