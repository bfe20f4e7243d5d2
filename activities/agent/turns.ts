/**
 * The two agent turns of a negotiation round, each one activity that runs the agent's seven-unit
 * pipeline in order (extraction → arbitral/regulatory/observability → optimizer → LLM →
 * validation) and returns every unit's output, so the Temporal UI shows what each unit did
 * without the prompts themselves landing in history (only their hash and token counts).
 */
import { Context } from '@temporalio/activity';
import type { ChatModel } from '../../core/llm/chat-model.ts';
import type { OptimizerMode, Party, Topic } from '../../core/negotiation/schemas.ts';
import type { BoTurnResult, MediatorFeedback, MediatorTurnResult, UnitWarning } from '../../core/negotiation/types.ts';
import {
  bestResponse,
  closedFormOptimum,
  iterateConsensus,
  type QuadraticUtility,
} from '../../core/optimizer/consensus.ts';
import { effectiveBounds, runContextUnits, type ContextUnit } from './context-units.ts';
import { askForIntent, seedFrom, type IntentAnswer } from './llm-unit.ts';
import { buildBoMessages, buildMediatorMessages } from './prompts.ts';
import { applyOptimizerPolicy, boundsProblem, round2, substituteByOptimizer } from './validation.ts';

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
}

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
}

export interface AgentDependencies {
  chatModel: ChatModel;
  contextUnits?: readonly ContextUnit[];
  /** LLM attempts per decision before the optimizer substitutes (default 2). */
  maxLlmAttempts?: number;
  /** Answer length cap: intents are one value and one sentence (default 96 tokens). */
  maxAnswerTokens?: number;
}

/** Heartbeats while a turn waits on the model, so a dead worker is noticed within the heartbeat timeout. */
function currentActivityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // called outside an activity (unit tests, benchmarks)
  }
}

async function withHeartbeat<T>(work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const activityContext = currentActivityContext();
  if (activityContext === null) return work(undefined);
  const timer = setInterval(() => activityContext.heartbeat(), 2_000);
  try {
    return await work(activityContext.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

const utilityOf = (p: Party): QuadraticUtility => ({ partyId: p.id, target: p.target, weight: p.weight });

export function createAgentTurns(deps: AgentDependencies) {
  const contextUnits = deps.contextUnits ?? [];
  const maxAttempts = deps.maxLlmAttempts ?? 2;
  const maxTokens = deps.maxAnswerTokens ?? 96;

  async function runBoTurn(input: BoTurnInput): Promise<BoTurnResult> {
    return withHeartbeat(async (signal) => {
      const { party, topic, feedback, optimizerMode: mode } = input;
      // 1. extraction: MAESTRO's feedback arrives typed from the workflow; keep what this BO reads.
      const incoming = Object.fromEntries(
        Object.entries(feedback?.demands ?? {}).map(([id, value]) => [id, { value, reasoning: '' }]),
      );
      // 2-4. contextual units.
      const context = await runContextUnits(
        contextUnits,
        { role: 'bo', negotiationId: input.negotiationId, round: input.round, topic, party, incoming },
        signal,
      );
      const bounds = effectiveBounds(topic, context);
      // 5. optimizer: this BO's best response to MAESTRO's prices (its target in round 1).
      const optimizerProposal = bestResponse(utilityOf(party), bounds, feedback?.optimizer ?? null);
      // 6. LLM.
      const answer = await askForIntent(deps.chatModel, {
        messages: buildBoMessages({
          topic,
          party,
          others: input.others,
          round: input.round,
          maxRounds: input.maxRounds,
          mode,
          feedback,
          optimizerProposal,
          context,
        }),
        bounds,
        maxAttempts,
        maxTokens,
        seed: seedFrom(input.negotiationId, input.round, party.id),
        signal,
      });
      // 7. validation.
      const { value, reasoning, substituted, warnings } = decide(party.id, answer, {
        bounds,
        optimizerProposal,
        mode,
        tolerance: input.tolerance,
      });
      return {
        partyId: party.id,
        round: input.round,
        intent: { value, reasoning },
        units: {
          extraction: { feedbackProposal: feedback?.proposal ?? null, demandsSeen: Object.keys(incoming).length },
          context,
          optimizer: { mode, proposal: optimizerProposal },
          llm: { ...answer.summary, rawValue: answer.rawValue },
          validation: {
            accepted: answer.intent !== null && !substituted,
            substituted,
            warnings: [...context.flatMap((c) => c.warnings), ...warnings],
          },
        },
      };
    });
  }

  async function runMediatorTurn(input: MediatorTurnInput): Promise<MediatorTurnResult> {
    return withHeartbeat(async (signal) => {
      const { topic, parties, optimizerMode: mode, round } = input;
      // 1. extraction: one intent per party, each a finite value (BO validation already bounded it).
      const rejected = parties.filter((p) => !Number.isFinite(input.intents[p.id]?.value)).map((p) => p.id);
      if (rejected.length > 0) throw new Error(`missing or non-numeric intents from ${rejected.join(', ')}`);
      const values = parties.map((p) => input.intents[p.id]!.value);
      // 2-4. contextual units.
      const context = await runContextUnits(
        contextUnits,
        { role: 'maestro', negotiationId: input.negotiationId, round, topic, party: null, incoming: input.intents },
        signal,
      );
      const bounds = effectiveBounds(topic, context);
      // 5. optimizer: eq. (1) over every party's private utility, from the current demands.
      const utilities = parties.map(utilityOf);
      const iteration = iterateConsensus({ utilities, bounds, initialValues: values });
      const closedForm = closedFormOptimum(utilities, bounds);
      const optimizerUnit = {
        mode,
        proposal: iteration.value,
        closedForm,
        iterations: iteration.iterations,
        converged: iteration.converged,
      };
      const spread = Math.max(...values) - Math.min(...values);
      const base = { round, spread, context, optimizerUnit };

      // Consensus and the last round are decided by rule: no LLM call is needed to state them.
      if (spread <= input.tolerance) {
        const consensusValue = values.reduce((s, v) => s + v, 0) / values.length;
        return closing(base, 'consensus', consensusValue, `Consensus at ${round2(consensusValue)} ${topic.unit}.`);
      }
      if (round >= input.maxRounds) {
        return closing(
          base,
          'no_consensus',
          null,
          `No consensus after ${round} rounds (spread ${round2(spread)} ${topic.unit}).`,
        );
      }

      // 6. LLM: the next round's proposal and the feedback sentence.
      const answer = await askForIntent(deps.chatModel, {
        messages: buildMediatorMessages({
          topic,
          parties: parties.map((p) => ({ id: p.id, objective: p.objective })),
          round,
          maxRounds: input.maxRounds,
          mode,
          intents: input.intents,
          optimizerProposal: iteration.value,
          context,
        }),
        bounds,
        maxAttempts,
        maxTokens,
        seed: seedFrom(input.negotiationId, round, 'maestro'),
        signal,
      });
      // 7. validation.
      const decided = decide('maestro', answer, {
        bounds,
        optimizerProposal: iteration.value,
        mode,
        tolerance: input.tolerance,
      });
      const demands = Object.fromEntries(parties.map((p) => [p.id, input.intents[p.id]!.value]));
      const feedback: Record<string, MediatorFeedback> = Object.fromEntries(
        parties.map((p, i) => [
          p.id,
          {
            round: round + 1,
            message: decided.reasoning,
            proposal: decided.value,
            demands,
            optimizer: { proposal: iteration.value, price: iteration.prices[i]!, penalty: iteration.penalty },
          },
        ]),
      );
      return {
        round,
        decision: 'continue',
        spread,
        consensusValue: null,
        feedback,
        message: decided.reasoning,
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
  }

  return { runBoTurn, runMediatorTurn };
}

function closing(
  base: {
    round: number;
    spread: number;
    context: MediatorTurnResult['units']['context'];
    optimizerUnit: MediatorTurnResult['units']['optimizer'];
  },
  decision: 'consensus' | 'no_consensus',
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

/** Validation unit over an LLM answer: bounds already checked per attempt; apply the optimizer policy or substitute. */
function decide(
  agent: string,
  answer: IntentAnswer,
  policy: { bounds: { min: number; max: number }; optimizerProposal: number; mode: OptimizerMode; tolerance: number },
): { value: number; reasoning: string; substituted: boolean; warnings: UnitWarning[] } {
  if (answer.intent === null || boundsProblem(answer.intent.value, policy.bounds) !== null) {
    const reason = `LLM gave no valid intent in ${answer.summary.attempts} attempt(s) (${answer.problems.at(-1) ?? 'unknown problem'})`;
    const substituted = substituteByOptimizer(agent, policy.optimizerProposal, reason);
    const invalid: UnitWarning = {
      agent,
      unit: 'llm',
      code: 'invalid_llm_output',
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
