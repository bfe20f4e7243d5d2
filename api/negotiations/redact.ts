/**
 * What a BO tenant may see of a negotiation it takes part in: the public outcome and its own
 * messages. Other parties' targets, weights, personalities, offers and reasoning stay hidden, and
 * so does everything computed from them (the spread, the optimum, MAESTRO's prose, which may
 * quote them). MAESTRO's proposal is public: it is the direction it announces to every party.
 */
import type { NegotiationState } from '../../core/negotiation/types.ts';

export interface TenantNegotiationView {
  id: string;
  status: NegotiationState['status'];
  reason?: string;
  currentRound: number;
  topic: NegotiationState['request']['topic'];
  maxRounds: number;
  cellId?: string;
  /** Other parties by id and objective only (as each agent's own prompt names them). */
  parties: { id: string; objective: string }[];
  you: { id: string; objective: string; target: number; weight: number; personality: string; active: boolean };
  consensus: NegotiationState['consensus'];
  rounds: {
    round: number;
    decision: string;
    yourValue: number | null;
    yourReasoning: string | null;
    mediatorProposal: number;
    bounds?: { min: number; max: number };
    /** Arbitral incentives addressed to you. */
    incentives: { action: string; offences: number; reason: string }[];
  }[];
}

export function redactForParty(state: NegotiationState, partyId: string): TenantNegotiationView {
  const me = state.request.parties.find((p) => p.id === partyId)!;
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
