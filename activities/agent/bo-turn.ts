/**
 * A BO's turn (one activity): its agent's seven units in order. 1 extraction of MAESTRO's feedback,
 * 2–4 the contextual units (arbitral, regulatory, observability), 5 the optimizer's best response to
 * MAESTRO's prices, 6 the LLM's intent, 7 validation against the bounds and the optimizer policy.
 */
import type { Party, NetworkState, OptimizerMode, Topic } from '../../core/negotiation/schemas.ts';
import { utilityOf } from '../../core/negotiation/rules.ts';
import type { BoTurnResult, MediatorFeedback } from '../../core/negotiation/types.ts';
import { bestResponse } from '../../core/optimizer/consensus.ts';
import { effectiveBounds, runContextUnits } from './context-units.ts';
import { validateAnswer } from './decision.ts';
import { withHeartbeat } from './heartbeat.ts';
import { askForIntent, seedFrom } from './llm-unit.ts';
import { buildBoMessages } from './prompts.ts';
import { observeDecision, turnSettings, type AgentDependencies } from './turn-settings.ts';

export interface BoTurnInput {
  negotiationId: string;
  round: number;
  maxRounds: number;
  topic: Topic;
  /** This BO's own private party record (target, weight, personality). */
  party: Party;
  /** The others' public side only. */
  others: { id: string; objective: Party['objective'] }[];
  optimizerMode: OptimizerMode;
  tolerance: number;
  feedback: MediatorFeedback | null;
  /** The network's latest state (observability unit); absent in negotiations without telemetry. */
  network?: NetworkState | null;
}

export function createBoTurn(deps: AgentDependencies): (input: BoTurnInput) => Promise<BoTurnResult> {
  const settings = turnSettings(deps);
  return async function runBoTurn(input: BoTurnInput): Promise<BoTurnResult> {
    return withHeartbeat(async (signal) => {
      const { party, topic, feedback, optimizerMode } = input;
      // 1. extraction: MAESTRO's feedback arrives typed from the workflow. It carries no other
      // party's demand (docs/NEGOTIATION.md, "Privacy"), so a BO's units read nothing incoming.
      // 2-4. contextual units.
      const context = await runContextUnits(
        settings.contextUnits,
        {
          role: 'bo',
          negotiationId: input.negotiationId,
          round: input.round,
          topic,
          party,
          incoming: {},
          network: input.network ?? null,
        },
        signal,
      );
      const bounds = effectiveBounds(topic, context);
      // 5. optimizer: this BO's best response to MAESTRO's prices (its target in round 1).
      const optimizerProposal = bestResponse(utilityOf(party), bounds, feedback?.optimizer ?? null);
      // 6. LLM.
      const answer = await askForIntent(deps.chatModel, {
        messages: buildBoMessages({
          style: deps.boPrompt ?? 'plain',
          topic,
          party,
          others: input.others,
          round: input.round,
          maxRounds: input.maxRounds,
          optimizerMode,
          feedback,
          optimizerProposal,
          context,
        }),
        bounds,
        proposalQuote: feedback && {
          proposal: feedback.proposal,
          alsoQuotable: optimizerMode === 'off' ? [] : [optimizerProposal],
        },
        maxAttempts: settings.maxAttempts,
        maxTokens: settings.maxTokens,
        seed: seedFrom(input.negotiationId, input.round, party.id),
        signal,
        turn: { negotiationId: input.negotiationId, round: input.round, agent: party.id },
      });
      // 7. validation.
      const { value, reasoning, substituted, warnings } = validateAnswer(party.id, answer, {
        bounds,
        optimizerProposal,
        optimizerMode,
        tolerance: input.tolerance,
      });
      observeDecision(deps.metrics, 'bo', answer, substituted);
      return {
        partyId: party.id,
        round: input.round,
        intent: { value, reasoning },
        units: {
          extraction: { feedbackProposal: feedback?.proposal ?? null },
          context,
          optimizer: { mode: optimizerMode, proposal: optimizerProposal },
          llm: { ...answer.summary, rawValue: answer.rawValue },
          validation: {
            accepted: answer.intent !== null && !substituted,
            substituted,
            warnings: [...context.flatMap((c) => c.warnings), ...warnings],
          },
        },
      };
    });
  };
}
