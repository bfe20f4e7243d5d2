/**
 * MAESTRO's incentives against malicious agents (paper Section III): the first offence earns a
 * warning in the feedback, each further one a lower weight in MAESTRO's aggregation (the
 * optimizer's utilities and the consensus mean), and `exclusionOffences` offences exclusion.
 * Pure functions: the mediator turn applies them, the workflow keeps the offence counts.
 */
import type { ArbitrationPolicy } from '../../../core/negotiation/schemas.ts';
import type { ArbitralFlag, Incentive } from '../../../core/negotiation/types.ts';

export { defaultArbitrationPolicy } from '../../../core/negotiation/arbitration-defaults.ts';

/** Weight multiplier after `offences` offences: 1, 1, f, f², … (the warning costs nothing). */
export const weightFactorFor = (offences: number, policy: ArbitrationPolicy): number =>
  offences <= 1 ? 1 : policy.penaltyWeightFactor ** (offences - 1);

export function applyIncentives(
  policy: ArbitrationPolicy,
  offencesBefore: Readonly<Record<string, number>>,
  flags: readonly ArbitralFlag[],
): { incentives: Incentive[]; offences: Record<string, number>; excludedNow: string[] } {
  const offences = { ...offencesBefore };
  const incentives: Incentive[] = [];
  const excludedNow: string[] = [];
  for (const flag of flags) {
    const count = (offences[flag.partyId] ?? 0) + 1;
    offences[flag.partyId] = count;
    const action: Incentive['action'] =
      count >= policy.exclusionOffences ? 'exclusion' : count >= 2 ? 'penalty' : 'warning';
    if (action === 'exclusion') excludedNow.push(flag.partyId);
    incentives.push({
      partyId: flag.partyId,
      action,
      offences: count,
      weightFactor: action === 'exclusion' ? 0 : weightFactorFor(count, policy),
      reason: flag.reasons.join('; ') || 'classified malicious',
    });
  }
  return { incentives, offences, excludedNow };
}

/** The sentence MAESTRO adds to a flagged party's feedback. */
export function incentiveMessage(incentive: Incentive, policy: ArbitrationPolicy): string {
  switch (incentive.action) {
    case 'warning':
      return `Arbitration warning: your last message was flagged as malicious (${incentive.reason}). Further offences lower your weight; ${policy.exclusionOffences} exclude you.`;
    case 'penalty':
      return `Arbitration penalty: offence ${incentive.offences}; your weight in MAESTRO's aggregation is now ×${incentive.weightFactor}.`;
    case 'exclusion':
      return `Arbitration: excluded after ${incentive.offences} offences.`;
  }
}
