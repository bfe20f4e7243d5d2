/**
 * The MAESTRO paper's Fig. 3a ordering as checks, shared by bench:personalities (cost 20 vs QoS 80 Mbps)
 * and the rollouts on pair scenarios (negotiator/scenarios.ts `drawPairScenario`, targets drawn), which
 * put each game's outcome on the bench's scale first.
 *
 * Issue 15's bar: V-T and V-D pulled high (the yielding cost party dragged toward the firm QoS party),
 * D-T held low (a disagreeable cost party is not dragged), N-N between 45 and 65 Mbps, toxic parties
 * flagged. "Pulled high" is read as at least half the three-round teacher's drag: the teacher
 * (policies.ts `weighted3Value`) ends V-D at 57.5, 7.5 Mbps above the fair 50.
 */
import { personalityLetters, type Personality } from '../core/negotiation/schemas.ts';
import type { NegotiationState } from '../core/negotiation/types.ts';

/** Fig. 3a's pairs, cost party first. */
export const fig3aPairs = ['V-T', 'V-D', 'A-D', 'N-T', 'D-T', 'N-N'] as const;
/** The bench's shared base station; pair scenarios draw their targets within it too. */
export const fig3aTopic = { name: 'throughput of the shared base station', unit: 'Mbps', min: 0, max: 100 };
export const fig3aFairMbps = 50;
export const fig3aCostTargetMbps = 20;
export const fig3aQosTargetMbps = 80;
/** Half the teacher's V-D drag above the fair 50 Mbps. */
export const pulledHighMbps = fig3aFairMbps + 7.5 / 2;

const letterOf = Object.fromEntries(Object.entries(personalityLetters).map(([letter, p]) => [p, letter])) as Record<
  Personality,
  string
>;

/** "V-D" for a vulnerable cost party against a disagreeable QoS party. */
export function pairName(cost: Personality, qos: Personality): string {
  return `${letterOf[cost]}-${letterOf[qos]}`;
}

/**
 * An outcome between a cost target and a QoS target, placed at the same share of the way on the bench's
 * 20 → 80 Mbps: a game that ends at its targets' midpoint reads 50, one at the QoS target 80.
 */
export function onFig3aScale(outcomeMbps: number, costTargetMbps: number, qosTargetMbps: number): number {
  if (!(qosTargetMbps > costTargetMbps)) {
    throw new Error(`the QoS target (${qosTargetMbps}) must lie above the cost target (${costTargetMbps})`);
  }
  const share = (outcomeMbps - costTargetMbps) / (qosTargetMbps - costTargetMbps);
  return fig3aCostTargetMbps + share * (fig3aQosTargetMbps - fig3aCostTargetMbps);
}

/**
 * Of the games with a toxic party, the share in which the arbitral unit flagged a toxic party at least once
 * (a flag on the other party does not count); null without such a game.
 */
export function toxicFlaggedShare(states: readonly NegotiationState[]): number | null {
  const toxicIds = (state: NegotiationState): Set<string> =>
    new Set(state.request.parties.filter((p) => p.personality === 'toxic').map((p) => p.id));
  const games = states.filter((state) => toxicIds(state).size > 0);
  if (games.length === 0) return null;
  const flagged = games.filter((state) => {
    const toxic = toxicIds(state);
    return state.rounds.some((round) => round.arbitration?.flags.some((flag) => toxic.has(flag.partyId)));
  });
  return flagged.length / games.length;
}

export interface OrderingCheck {
  check: string;
  holds: boolean;
  /** The measured figure: the pair's mean outcome on the bench scale, or the share of toxic games flagged. */
  value: number | null;
}

/**
 * The ordering checks over each pair's mean outcome (bench scale, Mbps) and the share of games with a
 * toxic party in which the arbitral unit flagged at least once. A pair with no games fails its check.
 */
export function fig3aOrdering(
  meanOutcomeMbps: Readonly<Record<string, number>>,
  toxicFlaggedShare: number | null,
): { holds: boolean; checks: OrderingCheck[] } {
  const at = (pair: string): number | null => {
    const value = meanOutcomeMbps[pair];
    return value === undefined || Number.isNaN(value) ? null : value;
  };
  const check = (name: string, pair: string, ok: (v: number) => boolean): OrderingCheck => {
    const value = at(pair);
    return { check: name, holds: value !== null && ok(value), value };
  };
  const checks: OrderingCheck[] = [
    check(`V-T pulled high (≥ ${pulledHighMbps})`, 'V-T', (v) => v >= pulledHighMbps),
    check(`V-D pulled high (≥ ${pulledHighMbps})`, 'V-D', (v) => v >= pulledHighMbps),
    check(`D-T held low (< ${pulledHighMbps})`, 'D-T', (v) => v < pulledHighMbps),
    check('N-N within 45–65', 'N-N', (v) => v >= 45 && v <= 65),
    { check: 'toxic parties flagged', holds: toxicFlaggedShare === 1, value: toxicFlaggedShare },
  ];
  return { holds: checks.every((c) => c.holds), checks };
}
