/**
 * MAESTRO's arbitration step in a round: the arbitral unit's flags become incentives (a warning,
 * then a lower weight, then exclusion from this round on) under the request's policy, and the
 * parties the round goes on with carry the weights their offences leave them.
 */
import type { ArbitrationPolicy, Party } from '../../../core/negotiation/schemas.ts';
import type { ArbitralFlag, ArbitrationOutcome } from '../../../core/negotiation/types.ts';
import { applyIncentives, weightFactorFor } from './incentives.ts';

export interface ArbitrationInput {
  policy: ArbitrationPolicy;
  /** Each party's offences before this round. */
  offences: Record<string, number>;
}

/**
 * The outcome (absent when nothing was flagged and the request passed no policy) and the parties
 * still negotiating, reweighted. With the policy disabled, flags are recorded and nothing follows.
 */
export function arbitrate(
  flags: ArbitralFlag[],
  input: ArbitrationInput | undefined,
  parties: readonly Party[],
): { outcome: ArbitrationOutcome | undefined; parties: Party[] } {
  let outcome: ArbitrationOutcome | undefined;
  if (flags.length > 0 || input !== undefined) {
    const before = input?.offences ?? {};
    const applied =
      input?.policy.enabled === true
        ? applyIncentives(input.policy, before, flags)
        : { incentives: [], offences: { ...before }, excludedNow: [] };
    outcome = { flags, incentives: applied.incentives, offences: applied.offences, excluded: applied.excludedNow };
  }
  const excluded = new Set(outcome?.excluded ?? []);
  const remaining = parties
    .filter((p) => !excluded.has(p.id))
    .map((p) =>
      input?.policy.enabled === true
        ? { ...p, weight: p.weight * weightFactorFor(outcome?.offences[p.id] ?? 0, input.policy) }
        : p,
    );
  return { outcome, parties: remaining };
}
