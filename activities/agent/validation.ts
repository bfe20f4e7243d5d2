/**
 * Validation unit: checks a decided value against the topic's bounds (and any bounds a context
 * unit adds), the logic of the agent's objective, and its distance to the optimizer's proposal.
 * In hard mode the optimizer's proposal is a directive and is enforced; in soft mode a large
 * distance is only a warning. Answers the LLM could not get right are replaced by the optimizer's
 * value for that round (paper Section III, unit 7: "temporarily substituted by the optimizer").
 */
import type { OptimizerMode, UnitWarning } from '../../core/negotiation/types.ts';

export interface Bounds {
  min: number;
  max: number;
}

export interface ValueCheck {
  agent: string;
  value: number;
  bounds: Bounds;
  optimizerProposal: number;
  optimizerMode: OptimizerMode;
  tolerance: number;
}

export interface ValidatedValue {
  value: number;
  substituted: boolean;
  warnings: UnitWarning[];
}

/** Fraction of the topic's range beyond which a soft-mode decision is flagged as far from the optimizer. */
export const farFromOptimizerFraction = 0.25;

/** Hard failures the LLM unit feeds back to the model for a retry; null when the value is usable. */
export function boundsProblem(value: number, bounds: Bounds): string | null {
  if (!Number.isFinite(value)) return 'value must be a finite number';
  if (value < bounds.min || value > bounds.max)
    return `value ${value} is outside the allowed range [${bounds.min}, ${bounds.max}]`;
  return null;
}

/**
 * How far a number quoted as MAESTRO's proposal may sit from the proposal before it counts as a misquote: a hundredth
 * of the range, so "MAESTRO's 54" for 54.37 passes and "MAESTRO's 5" for 54 does not.
 */
export const quoteToleranceFraction = 0.01;

/** "MAESTRO's 54", "MAESTRO's proposal of 54", "the mediator's offer 54": the number an answer says MAESTRO proposed. */
const quotedProposalPattern =
  /\b(?:MAESTRO|the mediator)['’]?s\s+(?:(?:proposal|offer|value)\s+(?:of\s+)?)?(-?\d+(?:\.\d+)?)/gi;

/** MAESTRO's proposal a BO turn answers, and the other values its prompt shows that the answer may call MAESTRO's. */
export interface ProposalQuote {
  proposal: number;
  /** The BO's optimizer suggestion in soft mode, or the directive in hard mode, which the mediator's proposal
   *  usually is and an answer taking it often calls "MAESTRO's" (seen in held-out soft games: "I accept
   *  MAESTRO's 37.77." with MAESTRO at 40 and the optimizer at 37.77). */
  alsoQuotable: number[];
}

/**
 * A BO answer that misquotes MAESTRO's proposal ("I accept MAESTRO's 5." when MAESTRO proposed 54): the reasoning
 * and the proposal it answers disagree, so the value cannot be read as the acceptance it claims. The small models copy
 * a number wrongly about once in a thousand quotes (docs/RESULTS.md, session 31's bench:negotiation), and one such game
 * decides a benchmark's mean error; the LLM unit shows the problem back to the model like a bounds failure.
 */
export function quotedProposalProblem(reasoning: string, quote: ProposalQuote | null, bounds: Bounds): string | null {
  if (quote === null) return null;
  const tolerance = Math.max(quoteToleranceFraction * (bounds.max - bounds.min), 0.01);
  const quotable = [quote.proposal, ...quote.alsoQuotable];
  for (const match of reasoning.matchAll(quotedProposalPattern)) {
    const quoted = Number(match[1]);
    if (quotable.every((value) => Math.abs(quoted - value) > tolerance))
      return `the reasoning quotes MAESTRO's proposal as ${quoted}, but MAESTRO proposed ${round2(quote.proposal)}`;
  }
  return null;
}

/** Applies the optimizer policy to a value that already passed the bounds check. */
export function applyOptimizerPolicy(check: ValueCheck): ValidatedValue {
  const { agent, value, optimizerProposal, optimizerMode, tolerance, bounds } = check;
  const distance = Math.abs(value - optimizerProposal);
  if (optimizerMode === 'hard' && distance > tolerance / 2) {
    return optimizerInstead(
      agent,
      optimizerProposal,
      'hard_directive_enforced',
      `LLM chose ${round2(value)}, hard optimizer directive is ${round2(optimizerProposal)}`,
    );
  }
  const warnings: UnitWarning[] = [];
  if (optimizerMode === 'soft' && distance > farFromOptimizerFraction * (bounds.max - bounds.min)) {
    warnings.push({
      agent,
      unit: 'validation',
      code: 'far_from_optimizer',
      message: `LLM chose ${round2(value)}, ${round2(distance)} away from the optimizer's ${round2(optimizerProposal)}`,
    });
  }
  return { value, substituted: false, warnings };
}

/** The value used when the LLM failed every attempt: the optimizer's, with a warning. */
export function substituteByOptimizer(agent: string, optimizerProposal: number, reason: string): ValidatedValue {
  return optimizerInstead(
    agent,
    optimizerProposal,
    'substituted_by_optimizer',
    `${reason}; using the optimizer's ${round2(optimizerProposal)} this round`,
  );
}

/** The optimizer's value in place of the LLM's, with the warning that says why. */
function optimizerInstead(
  agent: string,
  optimizerProposal: number,
  code: UnitWarning['code'],
  message: string,
): ValidatedValue {
  return { value: optimizerProposal, substituted: true, warnings: [{ agent, unit: 'validation', code, message }] };
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;
