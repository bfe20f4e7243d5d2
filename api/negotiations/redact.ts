/**
 * What a BO tenant may see of a negotiation it takes part in: the public outcome and its own
 * messages. Other parties' targets, weights, personalities, offers and reasoning stay hidden, and
 * so does everything computed from them (the spread, the optimum, MAESTRO's prose, which may
 * quote them). MAESTRO's proposal is public: it is the direction it announces to every party.
 */
import type { NegotiationState } from '../../core/negotiation/types.ts';
import type { TenantNegotiationView } from './schemas.ts';

export function redactForParty(state: NegotiationState, partyId: string): TenantNegotiationView {
  const me = state.request.parties.find((p) => p.id === partyId)!;
  // Only its own capped demand: another party's requested target is as private as its target.
  const capped = state.cappedDemands?.find((c) => c.partyId === partyId);
  return {
    id: state.id,
    status: state.status,
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    currentRound: state.currentRound,
    topic: state.request.topic,
    maxRounds: state.request.maxRounds,
    ...(state.request.cellId ? { cellId: state.request.cellId } : {}),
    parties: state.request.parties.filter((p) => p.id !== partyId).map((p) => ({ id: p.id, objective: p.objective })),
    you: {
      id: me.id,
      objective: me.objective,
      target: me.target,
      weight: me.weight,
      personality: me.personality,
      active: state.activeParties?.includes(me.id) ?? true,
      ...(capped ? { capped } : {}),
    },
    consensus: state.consensus,
    rounds: state.rounds.map((r) => ({
      round: r.round,
      decision: r.decision,
      yourValue: r.values[partyId] ?? null,
      yourReasoning: r.reasoning[partyId] ?? null,
      mediatorProposal: r.mediator.proposal,
      ...(r.bounds ? { bounds: r.bounds } : {}),
      incentives: (r.arbitration?.incentives ?? [])
        .filter((i) => i.partyId === partyId)
        .map((i) => ({ action: i.action, offences: i.offences, reason: i.reason })),
    })),
  };
}
