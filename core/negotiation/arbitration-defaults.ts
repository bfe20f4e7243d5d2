/**
 * Default incentive policy (mirrors rules SH-5 and SH-6 of regulatory-corpus/slice-sharing-rules.md).
 * Plain data so the workflow bundle can import it without zod.
 */
import type { ArbitrationPolicy } from './schemas.ts';

export const defaultArbitrationPolicy: ArbitrationPolicy = {
  enabled: true,
  penaltyWeightFactor: 0.5,
  exclusionOffences: 3,
};
