/** Every activity the negotiation worker hosts, built from its dependencies (model client, context units). */
import { createAgentTurns, type AgentDependencies } from './agent/turns.ts';

export type { BoTurnInput, MediatorTurnInput, AgentDependencies } from './agent/turns.ts';

export function createNegotiationActivities(deps: AgentDependencies) {
  return { ...createAgentTurns(deps) };
}

export type NegotiationActivities = ReturnType<typeof createNegotiationActivities>;
