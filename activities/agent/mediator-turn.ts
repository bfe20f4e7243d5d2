/**
 * MAESTRO's turn (one activity): 1 extraction of the BOs' intents, 2–4 the contextual units,
 * arbitration (flags → incentives → the parties that go on, reweighted), 5 the optimizer over every
 * party's utility (eq. 1), the round's judgement (core/negotiation/rules.ts), and while the round
 * continues 6 the LLM's proposal and feedback, 7 validation.
 */
import type { NetworkState, OptimizerMode, Party, Topic } from '../../core/negotiation/schemas.ts';
import { judgeRound, optimumOf, utilityOf } from '../../core/negotiation/rules.ts';
import type { ArbitrationOutcome, MediatorFeedback, MediatorTurnResult } from '../../core/negotiation/types.ts';
import { iterateConsensus } from '../../core/optimizer/consensus.ts';
import { arbitrate, type ArbitrationInput } from './arbitral/arbitrate.ts';
import { incentiveMessage } from './arbitral/incentives.ts';
import { effectiveBounds, runContextUnits } from './context-units.ts';
import { validateAnswer } from './decision.ts';
import { publicSentence } from './disclosure.ts';
import { withHeartbeat } from './heartbeat.ts';
import { askForIntent, seedFrom } from './llm-unit.ts';
import { buildMediatorMessages, type PreviousRound } from './prompts.ts';
import { observeDecision, turnSettings, type AgentDependencies } from './turn-settings.ts';
import { round2 } from './validation.ts';

export interface MediatorTurnInput {
  negotiationId: string;
  round: number;
  maxRounds: number;
  topic: Topic;
  /** All parties with their private utilities: MAESTRO's optimizer needs them. */
  parties: Party[];
  optimizerMode: OptimizerMode;
  tolerance: number;
  intents: Record<string, { value: number; reasoning: string }>;
  network?: NetworkState | null;
  /** MAESTRO's incentive policy and each party's offences so far; absent = flags recorded, no incentives. */
  arbitration?: ArbitrationInput;
  /** The round before: each party's demand and MAESTRO's proposal (the `moves` prompt reads them); absent in round 1. */
  previousRound?: PreviousRound;
}

export function createMediatorTurn(deps: AgentDependencies): (input: MediatorTurnInput) => Promise<MediatorTurnResult> {
  const settings = turnSettings(deps);
  return async function runMediatorTurn(input: MediatorTurnInput): Promise<MediatorTurnResult> {
    return withHeartbeat(async (signal) => {
      const { topic, optimizerMode, round } = input;
      // 1. extraction: one intent per party, each a finite value (BO validation already bounded it).
      const rejected = input.parties.filter((p) => !Number.isFinite(input.intents[p.id]?.value)).map((p) => p.id);
      if (rejected.length > 0) throw new Error(`missing or non-numeric intents from ${rejected.join(', ')}`);
      // 2-4. contextual units.
      const context = await runContextUnits(
        settings.contextUnits,
        {
          role: 'maestro',
          negotiationId: input.negotiationId,
          round,
          topic,
          party: null,
          incoming: input.intents,
          network: input.network ?? null,
        },
        signal,
      );
      const bounds = effectiveBounds(topic, context);
      // Arbitral incentives: warning, then a lower weight, then exclusion from this round on.
      const flags = context.flatMap((c) => c.flags ?? []);
      const { outcome: arbitration, parties } = arbitrate(flags, input.arbitration, input.parties);
      for (const f of flags) deps.metrics?.flags.inc({ decided_by: f.decidedBy });
      for (const i of arbitration?.incentives ?? []) deps.metrics?.incentives.inc({ action: i.action });
      const values = parties.map((p) => input.intents[p.id]!.value);
      // 5. optimizer: eq. (1) over every party's private utility, from the current demands.
      const iteration = iterateConsensus({ utilities: parties.map(utilityOf), bounds, initialValues: values });
      const optimizerUnit = {
        mode: optimizerMode,
        proposal: iteration.value,
        closedForm: optimumOf(parties, bounds),
        iterations: iteration.iterations,
        converged: iteration.converged,
      };
      const judged = judgeRound({ parties, values, tolerance: input.tolerance, round, maxRounds: input.maxRounds });
      const spread = judged.spread;
      const base = { round, spread, context, optimizerUnit, arbitration };

      // Consensus and the last round are decided by rule (core/negotiation/rules.ts): no LLM call is
      // needed to state them.
      if (judged.decision === 'halted') {
        return closing(base, 'halted', null, `Negotiation halted: fewer than two parties remain after arbitration.`);
      }
      if (judged.decision === 'consensus' && judged.consensusValue !== null) {
        const consensusValue = judged.consensusValue;
        return closing(base, 'consensus', consensusValue, `Consensus at ${round2(consensusValue)} ${topic.unit}.`);
      }
      if (judged.decision === 'no_consensus') {
        return closing(
          base,
          'no_consensus',
          null,
          `No consensus after ${round} rounds (spread ${round2(spread)} ${topic.unit}).`,
        );
      }

      // 6. LLM: the next round's proposal and the feedback sentence. A flagged party's reasoning
      // is withheld from MAESTRO's prompt, so an injection attempt never reaches the mediator's LLM.
      const flagged = new Set(flags.map((f) => f.partyId));
      const visibleIntents = Object.fromEntries(
        parties.map((p) => [
          p.id,
          flagged.has(p.id)
            ? { value: input.intents[p.id]!.value, reasoning: '[withheld by arbitration]' }
            : input.intents[p.id]!,
        ]),
      );
      const answer = await askForIntent(deps.chatModel, {
        messages: buildMediatorMessages({
          topic,
          parties: parties.map((p) => ({ id: p.id, objective: p.objective })),
          round,
          maxRounds: input.maxRounds,
          optimizerMode,
          intents: visibleIntents,
          optimizerProposal: iteration.value,
          context,
          style: deps.mediatorPrompt ?? 'mean',
          bounds,
          ...(input.previousRound ? { previousRound: input.previousRound } : {}),
        }),
        bounds,
        maxAttempts: settings.maxAttempts,
        maxTokens: settings.maxTokens,
        seed: seedFrom(input.negotiationId, round, 'maestro'),
        signal,
        turn: { negotiationId: input.negotiationId, round, agent: 'maestro' },
      });
      // 7. validation.
      const decided = validateAnswer('maestro', answer, {
        bounds,
        optimizerProposal: iteration.value,
        optimizerMode,
        tolerance: input.tolerance,
      });
      observeDecision(deps.metrics, 'maestro', answer, decided.substituted);
      // What every BO is told: the proposal and the sentence with no number but public ones, never
      // another party's demand (docs/NEGOTIATION.md, "Privacy"). The operator's record keeps it whole.
      const sentence = publicSentence(decided.reasoning, [
        decided.value,
        topic.min,
        topic.max,
        round,
        round + 1,
        input.maxRounds,
      ]);
      const incentiveFor = new Map((arbitration?.incentives ?? []).map((i) => [i.partyId, i]));
      const feedback: Record<string, MediatorFeedback> = Object.fromEntries(
        parties.map((p, i) => {
          const incentive = incentiveFor.get(p.id);
          const message =
            incentive && input.arbitration
              ? `${incentiveMessage(incentive, input.arbitration.policy)} ${sentence}`
              : sentence;
          return [
            p.id,
            {
              round: round + 1,
              message,
              proposal: decided.value,
              optimizer: { proposal: iteration.value, price: iteration.prices[i]!, penalty: iteration.penalty },
            },
          ];
        }),
      );
      return {
        round,
        decision: 'continue',
        spread,
        consensusValue: null,
        feedback,
        message: decided.reasoning,
        ...(arbitration ? { arbitration } : {}),
        units: {
          extraction: { intents: parties.length, rejected: [] },
          context,
          optimizer: optimizerUnit,
          llm: { ...answer.summary, rawValue: answer.rawValue },
          validation: {
            proposal: decided.value,
            substituted: decided.substituted,
            warnings: [...context.flatMap((c) => c.warnings), ...decided.warnings],
          },
        },
      };
    });
  };
}

function closing(
  base: {
    round: number;
    spread: number;
    context: MediatorTurnResult['units']['context'];
    optimizerUnit: MediatorTurnResult['units']['optimizer'];
    arbitration: ArbitrationOutcome | undefined;
  },
  decision: 'consensus' | 'no_consensus' | 'halted',
  consensusValue: number | null,
  message: string,
): MediatorTurnResult {
  return {
    round: base.round,
    decision,
    spread: base.spread,
    consensusValue,
    feedback: {},
    message,
    ...(base.arbitration ? { arbitration: base.arbitration } : {}),
    units: {
      extraction: { intents: 0, rejected: [] },
      context: base.context,
      optimizer: base.optimizerUnit,
      llm: null,
      validation: {
        proposal: consensusValue ?? base.optimizerUnit.proposal,
        substituted: false,
        warnings: base.context.flatMap((c) => c.warnings),
      },
    },
  };
}
