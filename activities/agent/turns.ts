/**
 * The two agent turns of a negotiation round, each one activity that runs the agent's seven-unit
 * pipeline in order (extraction → arbitral/regulatory/observability → optimizer → LLM →
 * validation) and returns every unit's output, so the Temporal UI shows what each unit did
 * without the prompts themselves landing in history (only their hash and token counts).
 */
import { Context } from '@temporalio/activity';
import type { ChatModel } from '../../core/llm/chat-model.ts';
import type { ArbitrationPolicy, NetworkState, OptimizerMode, Party, Topic } from '../../core/negotiation/schemas.ts';
import type {
  ArbitrationOutcome,
  BoTurnResult,
  MediatorFeedback,
  MediatorTurnResult,
  UnitWarning,
} from '../../core/negotiation/types.ts';
import type { NegotiationMetrics } from '../../core/observability/metrics.ts';
import { applyIncentives, incentiveMessage, weightFactorFor } from './arbitral/incentives.ts';
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
  /** The network's latest state (observability unit); absent in negotiations without telemetry. */
  network?: NetworkState | null;
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
  network?: NetworkState | null;
  /** MAESTRO's incentive policy and each party's offences so far; absent = flags recorded, no incentives. */
  arbitration?: { policy: ArbitrationPolicy; offences: Record<string, number> };
}

export interface AgentDependencies {
  chatModel: ChatModel;
  contextUnits?: readonly ContextUnit[];
  /** LLM attempts per decision before the optimizer substitutes (default 2). */
  maxLlmAttempts?: number;
  /** Answer length cap: intents are one value and one sentence (default 96 tokens). */
  maxAnswerTokens?: number;
  /** Prometheus metrics of the worker process, when it serves them. */
  metrics?: NegotiationMetrics;
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
  const observeDecision = (role: 'bo' | 'maestro', answer: IntentAnswer, substituted: boolean): void => {
    deps.metrics?.llmLatency.observe({ role }, answer.summary.latencyMs / 1000);
    if (substituted) deps.metrics?.fallbacks.inc({ role });
    if (answer.outage) deps.metrics?.llmOutages.inc({ role, model: answer.summary.model });
  };
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
        {
          role: 'bo',
          negotiationId: input.negotiationId,
          round: input.round,
          topic,
          party,
          incoming,
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
      observeDecision('bo', answer, substituted);
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
      const { topic, optimizerMode: mode, round } = input;
      // 1. extraction: one intent per party, each a finite value (BO validation already bounded it).
      const rejected = input.parties.filter((p) => !Number.isFinite(input.intents[p.id]?.value)).map((p) => p.id);
      if (rejected.length > 0) throw new Error(`missing or non-numeric intents from ${rejected.join(', ')}`);
      // 2-4. contextual units.
      const context = await runContextUnits(
        contextUnits,
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
      let arbitration: ArbitrationOutcome | undefined;
      if (flags.length > 0 || input.arbitration !== undefined) {
        const policy = input.arbitration?.policy;
        const before = input.arbitration?.offences ?? {};
        const applied =
          policy?.enabled === true
            ? applyIncentives(policy, before, flags)
            : { incentives: [], offences: { ...before }, excludedNow: [] };
        arbitration = {
          flags,
          incentives: applied.incentives,
          offences: applied.offences,
          excluded: applied.excludedNow,
        };
        for (const f of flags) deps.metrics?.flags.inc({ decided_by: f.decidedBy });
        for (const i of applied.incentives) deps.metrics?.incentives.inc({ action: i.action });
      }
      const excluded = new Set(arbitration?.excluded ?? []);
      const parties = input.parties
        .filter((p) => !excluded.has(p.id))
        .map((p) =>
          input.arbitration?.policy.enabled === true
            ? { ...p, weight: p.weight * weightFactorFor(arbitration?.offences[p.id] ?? 0, input.arbitration.policy) }
            : p,
        );
      const values = parties.map((p) => input.intents[p.id]!.value);
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
      const spread = values.length > 0 ? Math.max(...values) - Math.min(...values) : 0;
      const base = { round, spread, context, optimizerUnit, arbitration };

      // Consensus and the last round are decided by rule: no LLM call is needed to state them.
      if (parties.length < 2) {
        return closing(base, 'halted', null, `Negotiation halted: fewer than two parties remain after arbitration.`);
      }
      if (spread <= input.tolerance) {
        // MAESTRO's aggregation: the weighted mean, so a penalised party pulls the value less.
        const totalWeight = parties.reduce((s, p) => s + p.weight, 0);
        const consensusValue = parties.reduce((s, p, i) => s + p.weight * values[i]!, 0) / totalWeight;
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
          mode,
          intents: visibleIntents,
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
      observeDecision('maestro', answer, decided.substituted);
      const demands = Object.fromEntries(parties.map((p) => [p.id, input.intents[p.id]!.value]));
      const incentiveFor = new Map((arbitration?.incentives ?? []).map((i) => [i.partyId, i]));
      const feedback: Record<string, MediatorFeedback> = Object.fromEntries(
        parties.map((p, i) => {
          const incentive = incentiveFor.get(p.id);
          const message =
            incentive && input.arbitration
              ? `${incentiveMessage(incentive, input.arbitration.policy)} ${decided.reasoning}`
              : decided.reasoning;
          return [
            p.id,
            {
              round: round + 1,
              message,
              proposal: decided.value,
              demands,
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
  }

  return { runBoTurn, runMediatorTurn };
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
