/**
 * How a negotiation is judged, in one place for the workflow and MAESTRO's turn: each party's
 * utility, the optimum of eq. (1) over them, and the rule that closes a round (consensus within the
 * tolerance, halt when fewer than two parties remain, no consensus at the last round).
 */
import { closedFormOptimum, type QuadraticUtility, type TopicBounds } from '../optimizer/consensus.ts';
import type { Party } from './schemas.ts';
import type { RoundDecision } from './types.ts';

type Weighted = Pick<Party, 'id' | 'target' | 'weight'>;

/** A party's private quadratic utility (eq. 1): its target and weight. */
export const utilityOf = (party: Weighted): QuadraticUtility => ({
  partyId: party.id,
  target: party.target,
  weight: party.weight,
});

/** The value that maximises the parties' summed utility within the bounds (eq. 1's closed form). */
export const optimumOf = (parties: readonly Weighted[], bounds: TopicBounds): number =>
  closedFormOptimum(parties.map(utilityOf), bounds);

export type { RoundDecision };

export interface RoundJudgement {
  decision: RoundDecision;
  /** Largest minus smallest demand this round. */
  spread: number;
  /** The agreed value when `decision` is consensus: the parties' weighted mean demand. */
  consensusValue: number | null;
}

/**
 * The round's outcome from the demands of the parties still negotiating (`values[i]` is
 * `parties[i]`'s). Consensus when the spread is within `tolerance`, at the weighted mean (a
 * penalised party, whose weight arbitration lowered, pulls the value less).
 */
export function judgeRound(input: {
  parties: readonly Pick<Party, 'weight'>[];
  values: readonly number[];
  tolerance: number;
  round: number;
  maxRounds: number;
}): RoundJudgement {
  const { parties, values } = input;
  const spread = values.length > 0 ? Math.max(...values) - Math.min(...values) : 0;
  if (parties.length < 2) return { decision: 'halted', spread, consensusValue: null };
  if (spread <= input.tolerance) {
    const totalWeight = parties.reduce((s, p) => s + p.weight, 0);
    const consensusValue = parties.reduce((s, p, i) => s + p.weight * values[i]!, 0) / totalWeight;
    return { decision: 'consensus', spread, consensusValue };
  }
  if (input.round >= input.maxRounds) return { decision: 'no_consensus', spread, consensusValue: null };
  return { decision: 'continue', spread, consensusValue: null };
}
