/**
 * The validation unit (7) applied to the LLM unit's (6) answer: bounds were checked per attempt;
 * here the optimizer policy applies, or the optimizer's value substitutes for an answer that never
 * came right. Its own module because it needs both units (llm-unit.ts already uses validation.ts).
 */
import type { OptimizerMode, UnitWarning } from '../../core/negotiation/types.ts';
import type { IntentAnswer } from './llm-unit.ts';
import { applyOptimizerPolicy, boundsProblem, round2, substituteByOptimizer, type Bounds } from './validation.ts';

export interface DecidedValue {
  value: number;
  reasoning: string;
  substituted: boolean;
  warnings: UnitWarning[];
}

export function validateAnswer(
  agent: string,
  answer: IntentAnswer,
  policy: { bounds: Bounds; optimizerProposal: number; optimizerMode: OptimizerMode; tolerance: number },
): DecidedValue {
  if (answer.intent === null || boundsProblem(answer.intent.value, policy.bounds) !== null) {
    const reason = `LLM gave no valid intent in ${answer.summary.attempts} attempt(s) (${answer.problems.at(-1) ?? 'unknown problem'})`;
    const substituted = substituteByOptimizer(agent, policy.optimizerProposal, reason);
    const invalid: UnitWarning = {
      agent,
      unit: 'llm',
      code: answer.outage ? 'llm_unavailable' : 'invalid_llm_output',
      message: answer.problems.join(' | '),
    };
    return {
      value: substituted.value,
      reasoning: `Optimizer value ${round2(substituted.value)} used while the LLM recovers.`,
      substituted: true,
      warnings: [invalid, ...substituted.warnings],
    };
  }
  const checked = applyOptimizerPolicy({ agent, value: answer.intent.value, ...policy });
  return {
    value: checked.value,
    reasoning: answer.intent.reasoning,
    substituted: checked.substituted,
    warnings: checked.warnings,
  };
}
