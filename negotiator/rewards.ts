/**
 * Rewards of a finished negotiation (issue 15, item 2), per agent, from the workflow's own record
 * (`NegotiationState`): what the parties asked for, what they said round by round, what MAESTRO
 * proposed, what the arbitral unit flagged, how it ended. Written as equations, like eq. (2) of the
 * RLDTF paper; Δ = topic.max − topic.min, R = maxRounds, r = rounds used, x = the consensus value,
 * x* = eq. (1)'s optimum (`state.optimum`).
 *
 * BO i (target tᵢ, weight wᵢ, personality πᵢ):
 *   Rᵢ = Uᵢ + A + ½·Pᵢ + ½·Vᵢ
 *   Uᵢ = −wᵢ·((x − tᵢ)/Δ)²            its own utility (eq. 1's term, scaled to the range); −wᵢ without consensus
 *   A  = 1 − (r − 1)/R on consensus, −1 without     agreement, sooner is better
 *   Pᵢ = 1 − 2·|c̄ᵢ − c*(πᵢ)| + aᵢ      true to its personality (below)
 *   Vᵢ = mean over its turns of v      1 for a valid answer whose reasoning states the value it proposes,
 *                                     ½ valid but silent on the number, −1 invalid (the optimizer substituted)
 * c̄ᵢ is the party's mean concession: in each round k ≥ 2, the share of the gap to MAESTRO's previous
 * proposal that it closed, (v_{k−1} − v_k)/(v_{k−1} − p_{k−1}) clipped to [0, 1], over the rounds where
 * the gap exceeded the tolerance. c* orders the personalities as the paper describes them: vulnerable
 * 0.9, agreeable 0.7, normal 0.5, disagreeable 0.2, toxic 0.2. A party that never had a gap to close
 * scores Pᵢ = aᵢ. aᵢ is the arbitral term: a toxic party should pressure and be caught (+½ if flagged
 * in some round, −½ if never), an honest one must not be (−½ per round flagged, at most −1).
 *
 * MAESTRO:
 *   R_M = D + ½·Q + ½·V_M
 *   D   = max(−1, 1 − |x − x*| / (Δ/4)) on consensus, −1 without     distance to the optimum
 *   Q   = −(r − 1)/R on consensus, 0 without                          rounds used
 *   V_M = as Vᵢ over MAESTRO's own proposals (the feedback sentence must state the proposal)
 */
import type { NegotiationRequest, Personality } from '../core/negotiation/schemas.ts';
import type { NegotiationState, RoundRecord } from '../core/negotiation/types.ts';

/** c*: how much of the gap to MAESTRO's proposal each personality closes per round. */
export const targetConcession: Record<Personality, number> = {
  vulnerable: 0.9,
  agreeable: 0.7,
  normal: 0.5,
  disagreeable: 0.2,
  toxic: 0.2,
};

export interface TurnQuality {
  valid: boolean;
  statesValue: boolean;
}

export interface BoReward {
  partyId: string;
  personality: Personality;
  utility: number;
  agreement: number;
  /** c̄ᵢ, null when the party never had a gap to close. */
  concession: number | null;
  flaggedRounds: number;
  personalityScore: number;
  validity: number;
  total: number;
}

export interface MediatorReward {
  /** |x − x*| in the topic's unit, null without consensus. */
  errorToOptimum: number | null;
  distance: number;
  roundsTerm: number;
  validity: number;
  total: number;
}

export interface EpisodeReward {
  consensus: boolean;
  rounds: number;
  outcome: number | null;
  optimum: number;
  parties: BoReward[];
  mediator: MediatorReward;
}

/** Does the text state `value` (as an integer, or with up to two decimals, as the prompts print it)? */
export function statesValue(text: string, value: number): boolean {
  const numbers = (text.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
  return numbers.some((n) => Math.abs(n - value) <= 0.5 || Math.abs(n - Math.round(value * 100) / 100) < 1e-9);
}

/** A turn's quality term: 1, ½ or −1 (see the header). */
export function turnScore(turn: TurnQuality): number {
  if (!turn.valid) return -1;
  return turn.statesValue ? 1 : 0.5;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Was this agent's answer replaced in this round (no valid intent, or a directive enforced)? */
function substituted(record: RoundRecord, agent: string): boolean {
  return record.warnings.some(
    (w) =>
      w.agent === agent &&
      (w.code === 'substituted_by_optimizer' ||
        w.code === 'invalid_llm_output' ||
        w.code === 'llm_unavailable' ||
        w.code === 'hard_directive_enforced'),
  );
}

/** c̄ᵢ over the rounds where the party's gap to MAESTRO's previous proposal exceeded the tolerance. */
export function meanConcession(rounds: readonly RoundRecord[], partyId: string, tolerance: number): number | null {
  const shares: number[] = [];
  for (let k = 1; k < rounds.length; k++) {
    const before = rounds[k - 1]!.values[partyId];
    const now = rounds[k]!.values[partyId];
    const proposal = rounds[k - 1]!.mediator.proposal;
    if (before === undefined || now === undefined) continue;
    const gap = before - proposal;
    if (Math.abs(gap) <= tolerance) continue;
    shares.push(clip((before - now) / gap, 0, 1));
  }
  return shares.length > 0 ? mean(shares) : null;
}

function boReward(
  party: NegotiationRequest['parties'][number],
  request: NegotiationRequest,
  state: NegotiationState,
  outcome: number | null,
  agreement: number,
): BoReward {
  const range = request.topic.max - request.topic.min;
  const utility = outcome === null ? -party.weight : -party.weight * ((outcome - party.target) / range) ** 2;
  const concession = meanConcession(state.rounds, party.id, request.tolerance);
  const flaggedRounds = state.rounds.filter((r) => r.arbitration?.flags.some((f) => f.partyId === party.id)).length;
  const arbitral =
    party.personality === 'toxic' ? (flaggedRounds > 0 ? 0.5 : -0.5) : Math.max(-1, -0.5 * flaggedRounds);
  const personalityScore =
    (concession === null ? 0 : 1 - 2 * Math.abs(concession - targetConcession[party.personality])) + arbitral;
  const turns = state.rounds
    .filter((r) => r.values[party.id] !== undefined)
    .map((r) => ({
      valid: !substituted(r, party.id),
      statesValue: statesValue(r.reasoning[party.id] ?? '', r.values[party.id]!),
    }));
  const validity = turns.length > 0 ? mean(turns.map(turnScore)) : 0;
  return {
    partyId: party.id,
    personality: party.personality,
    utility,
    agreement,
    concession,
    flaggedRounds,
    personalityScore,
    validity,
    total: utility + agreement + 0.5 * personalityScore + 0.5 * validity,
  };
}

/**
 * MAESTRO speaks (an LLM proposal) only in rounds that continue: consensus and the last round are
 * decided by rule, so those rounds carry no proposal of its own to judge.
 */
function mediatorTurns(state: NegotiationState): TurnQuality[] {
  return state.rounds
    .filter((r) => r.decision === 'continue')
    .map((r) => ({
      valid: !substituted(r, 'maestro'),
      statesValue: statesValue(r.mediator.message, r.mediator.proposal),
    }));
}

/**
 * D and Q of MAESTRO's reward for an ending: the consensus value `outcome` (null: none) after `rounds` rounds.
 * The PPO environment (turn-env.ts) scores a counterfactual ending with the same terms.
 */
export function outcomeTerms(
  request: { topic: { min: number; max: number }; maxRounds: number },
  outcome: number | null,
  rounds: number,
  optimum: number,
): Pick<MediatorReward, 'errorToOptimum' | 'distance' | 'roundsTerm'> {
  const range = request.topic.max - request.topic.min;
  const errorToOptimum = outcome === null ? null : Math.abs(outcome - optimum);
  const distance = errorToOptimum === null ? -1 : Math.max(-1, 1 - errorToOptimum / (range / 4));
  const roundsTerm = outcome === null ? 0 : -(rounds - 1) / request.maxRounds;
  return { errorToOptimum, distance, roundsTerm };
}

/** Every agent's reward for one finished negotiation. */
export function rewardEpisode(request: NegotiationRequest, state: NegotiationState): EpisodeReward {
  const rounds = state.rounds.length;
  const outcome = state.status === 'consensus' && state.consensus !== null ? state.consensus.value : null;
  const agreement = outcome === null ? -1 : 1 - (rounds - 1) / request.maxRounds;
  const optimum = state.optimum.value;
  const { errorToOptimum, distance, roundsTerm } = outcomeTerms(request, outcome, rounds, optimum);
  const turns = mediatorTurns(state);
  const validity = turns.length > 0 ? mean(turns.map(turnScore)) : 0;
  return {
    consensus: outcome !== null,
    rounds,
    outcome,
    optimum,
    parties: request.parties.map((p) => boReward(p, request, state, outcome, agreement)),
    mediator: {
      errorToOptimum,
      distance,
      roundsTerm,
      validity,
      total: distance + 0.5 * roundsTerm + 0.5 * validity,
    },
  };
}
