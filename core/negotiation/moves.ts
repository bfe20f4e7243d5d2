/**
 * Where the parties' moves point: a statistic MAESTRO's off-mode prompt can show beside the demands' mean
 * (activities/agent/prompts.ts, the `moves` mediator prompt; docs/NEGOTIATOR.md, "The mediator's lever").
 *
 * Why. With the optimizer off MAESTRO never sees a weight, and the demands' mean counts every party alike. But a
 * party's move between two rounds says how much the topic matters to it: the ladder BOs (the `ladder` and
 * `ladder-split` prompts) take MAESTRO's proposal, move three quarters, half or a quarter of the way, or hold, and
 * they hold harder the more the topic matters. MAESTRO reads which rung each move was nearest to and counts the
 * party's demand before the move by the weight that rung stands for (`movesWeightByRung`).
 *
 * Only what MAESTRO already reads goes in: each party's demand the round before, its own proposal then, and the
 * demands now. No target, weight or personality (docs/NEGOTIATION.md, "Privacy").
 */

/** The ladder's rungs as the share of the way from a party's demand to MAESTRO's proposal: take, ¾, ½, ¼, hold. */
export const ladderShares = [1, 0.75, 0.5, 0.25, 0] as const;

/**
 * The weight each rung counts for, take … hold. Fitted in closed form (negotiator/concession.ts `--mediators`, an
 * exhaustive monotone search with "take" fixed at 0.5) on the off-mode scenarios of train draws 0–1999 against the
 * split teacher's moves, holding Fig. 3a's pulled pairs at the teacher's own 57.5 Mbps; checked on draws 2000–3999
 * (2.69 Mbps from eq. (1)'s optimum where the mean lands 3.38). Monotone: a firmer move never counts less.
 */
export const movesWeightByRung = [0.5, 0.6, 0.6, 1, 1.3] as const;

/**
 * The firmness a party showed: the share of its distance to MAESTRO's proposal it kept (0 took the proposal, 1
 * held), clamped to [0, 1]. A party that was already at the proposal shows nothing and counts as ½.
 */
export function revealedFirmness(beforeValue: number, proposal: number, value: number): number {
  const gap = proposal - beforeValue;
  if (Math.abs(gap) < 1e-9) return 0.5;
  return Math.min(1, Math.max(0, 1 - (value - beforeValue) / gap));
}

/** The ladder rung (an index of `ladderShares`) nearest to a firmness; the firmer one on a tie. */
export function nearestRung(firmness: number): number {
  let best = 0;
  ladderShares.forEach((share, rung) => {
    if (Math.abs(1 - share - firmness) <= Math.abs(1 - ladderShares[best]! - firmness)) best = rung;
  });
  return best;
}

export interface PartyMove {
  /** The party's demand in the round before. */
  before: number;
  /** Its demand now. */
  now: number;
}

/**
 * The demands before the moves, each counted by the weight `weightOf` gives the firmness its move showed against
 * MAESTRO's `proposal`. Null without a move to read or with no weight at all.
 */
export function movesWeightedBy(
  moves: readonly PartyMove[],
  proposal: number,
  weightOf: (firmness: number) => number,
): number | null {
  let weighted = 0;
  let total = 0;
  for (const m of moves) {
    const weight = weightOf(revealedFirmness(m.before, proposal, m.now));
    weighted += weight * m.before;
    total += weight;
  }
  return total > 0 ? weighted / total : null;
}

/**
 * The demands before the moves, each counted by the weight of the rung its move was nearest to (`table`, take …
 * hold): the `moves` prompt's line. Null without a move to read.
 */
export function movesPointTo(
  moves: readonly PartyMove[],
  proposal: number,
  table: readonly number[] = movesWeightByRung,
): number | null {
  return movesWeightedBy(moves, proposal, (firmness) => table[nearestRung(firmness)]!);
}
