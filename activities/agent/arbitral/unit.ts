/**
 * Arbitral unit (paper Section III, unit 2), run in MAESTRO's turn over every BO's reasoning.
 * Combination of the two detectors:
 *   - classifier score s ≥ high  → malicious, decided by the classifier alone;
 *   - s < low                    → benign, no LLM call;
 *   - low ≤ s < high (unsure)    → the LLM judge is asked. With `judgeRole: 'escalate'` (the
 *     default) its "malicious" adds a flag the classifier missed but its "benign" never clears
 *     the classifier's own verdict; with `'decide'` the judge's label is final in the band.
 *     If the judge is unavailable the classifier decides and a warning says so.
 * Measured on the held-out set (results/arbitral-bench.json): the local 135M judge answers
 * "benign" to nearly everything (F1 0); letting it decide in the band cut recall from 0.90 to
 * 0.30, and even escalating only added false flags. So the worker runs the classifier alone
 * against the local model (MAESTRO_ARBITRAL_JUDGE=auto → off) and escalates with any other
 * endpoint; a capable judge can be given the decision with MAESTRO_ARBITRAL_JUDGE=decide.
 */
import type { ChatModel } from '../../../core/llm/chat-model.ts';
import type { ArbitralFlag, ContextContribution, UnitWarning } from '../../../core/negotiation/types.ts';
import type { ContextUnit, ContextUnitInput } from '../context-units.ts';
import { cuesIn, type ArbitralClassifier, type ClassifierVerdict } from './classifier.ts';
import { judgeReasoning } from './judge.ts';

export interface ArbitralDecision {
  label: 'benign' | 'malicious';
  score: number;
  reasons: string[];
  decidedBy: ArbitralFlag['decidedBy'];
  judgeProblem?: string;
}

export interface ArbitralOptions {
  /** Below: benign without asking the judge. */
  low?: number;
  /** At or above: malicious without asking the judge. */
  high?: number;
  /** null disables the judge (classifier only). */
  judge: ChatModel | null;
  judgeRole?: 'escalate' | 'decide';
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function createArbitralDetector(classifier: ArbitralClassifier, options: ArbitralOptions) {
  const low = options.low ?? 0.25;
  const high = options.high ?? 0.85;
  const judgeRole = options.judgeRole ?? 'escalate';

  async function decide(text: string, verdict: ClassifierVerdict, signal?: AbortSignal): Promise<ArbitralDecision> {
    const reasons = [`classifier ${round3(verdict.score)} (nearest: ${verdict.nearest.category})`, ...cuesIn(text)];
    if (verdict.score >= high || verdict.score < low || options.judge === null) {
      return {
        label: verdict.malicious ? 'malicious' : 'benign',
        score: verdict.score,
        reasons,
        decidedBy: 'classifier',
      };
    }
    try {
      const judged = await judgeReasoning(options.judge, text, signal);
      const label = judgeRole === 'decide' || verdict.malicious === false ? judged.label : 'malicious';
      return {
        label,
        // The judge's verdict moves the score to the far side of the classifier's threshold.
        score: label === 'malicious' ? Math.max(verdict.score, high) : Math.min(verdict.score, low),
        reasons: [...reasons, `judge: ${judged.reason}`],
        decidedBy: 'classifier+judge',
      };
    } catch (err) {
      return {
        label: verdict.malicious ? 'malicious' : 'benign',
        score: verdict.score,
        reasons,
        decidedBy: 'classifier',
        judgeProblem: err instanceof Error ? err.message : String(err),
      };
    }
  }

  async function classifyTexts(texts: string[], signal?: AbortSignal): Promise<ArbitralDecision[]> {
    const verdicts = await classifier.classify(texts);
    const decisions: ArbitralDecision[] = [];
    // One at a time: the judge shares the model server with the agents.
    for (let i = 0; i < texts.length; i++) decisions.push(await decide(texts[i]!, verdicts[i]!, signal));
    return decisions;
  }

  return { classifyTexts, thresholds: { low, high }, judgeRole };
}

export type ArbitralDetector = ReturnType<typeof createArbitralDetector>;

export function createArbitralUnit(detector: ArbitralDetector): ContextUnit {
  return {
    name: 'arbitral',
    async contribute(input: ContextUnitInput, signal?: AbortSignal): Promise<ContextContribution> {
      // MAESTRO arbitrates the BOs' messages; a BO reads only MAESTRO's feedback.
      if (input.role !== 'maestro') return { unit: 'arbitral', notes: [], warnings: [] };
      const entries = Object.entries(input.incoming).filter(([, intent]) => intent.reasoning.trim() !== '');
      const decisions = await detector.classifyTexts(
        entries.map(([, intent]) => intent.reasoning),
        signal,
      );
      const flags: ArbitralFlag[] = [];
      const warnings: UnitWarning[] = [];
      decisions.forEach((d, i) => {
        const partyId = entries[i]![0];
        if (d.judgeProblem !== undefined) {
          warnings.push({ agent: 'maestro', unit: 'arbitral', code: 'judge_unavailable', message: d.judgeProblem });
        }
        if (d.label !== 'malicious') return;
        flags.push({ partyId, score: round3(d.score), reasons: d.reasons, decidedBy: d.decidedBy });
        warnings.push({
          agent: 'maestro',
          unit: 'arbitral',
          code: 'arbitral_flag',
          message: `${partyId} flagged malicious: ${d.reasons.join('; ')}`,
        });
      });
      const notes = flags.length > 0 ? [`flagged as malicious: ${flags.map((f) => f.partyId).join(', ')}.`] : [];
      return { unit: 'arbitral', notes, warnings, flags };
    },
  };
}
