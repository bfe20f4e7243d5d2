/**
 * One MAESTRO negotiation (paper Figs. 1, 2, 4). Each round: every BO agent runs its pipeline in
 * parallel on MAESTRO's feedback and answers with a service intent; then MAESTRO's pipeline reads
 * all n intents and decides consensus (all values within ε), no consensus (last round), or the
 * next round's feedback. All I/O happens in the two turn activities; this code only sequences
 * them, keeps the state a query returns, and upserts the search attributes engineers filter on.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { NegotiationActivities } from '../../activities/index.ts';
import { defaultArbitrationPolicy } from '../../core/negotiation/arbitration-defaults.ts';
import type { CappedDemand, NegotiationRequest, Party, Topic } from '../../core/negotiation/schemas.ts';
import type {
  Adaptation,
  MediatorFeedback,
  NegotiationState,
  NetworkState,
  RoundRecord,
  UnitWarning,
} from '../../core/negotiation/types.ts';
import type { NegotiationSinks } from '../../core/observability/sinks.ts';
import { optimumOf } from '../../core/negotiation/rules.ts';
import { activityOptions, type AgentTurnTimeouts } from '../../core/temporal/activity-timeouts.ts';
import {
  arbitralFlagCountKey,
  negotiationRoundKey,
  negotiationStatusKey,
} from '../../core/negotiation/search-attributes.ts';
import {
  changePartyTargetUpdate,
  negotiationStateQuery,
  networkStateChangedSignal,
  partyTargetChangedSignal,
  partyWithdrewSignal,
  type TargetChange,
  type Withdrawal,
} from './messages.ts';

const { metrics } = proxySinks<NegotiationSinks>();

export interface NegotiationInput {
  request: NegotiationRequest;
  /** From temporal.yaml (timeouts.agentTurn), passed in because workflow code reads no files. */
  agentTurnTimeouts: AgentTurnTimeouts;
  /** Demands the API capped to the topic's range (the request holds the capped targets). */
  cappedDemands?: CappedDemand[];
}

export async function negotiationWorkflow(input: NegotiationInput): Promise<NegotiationState> {
  const { request } = input;
  const timeouts = input.agentTurnTimeouts;
  // a RangeError is a request the units cannot serve (validation): the same on every attempt
  const agent = proxyActivities<NegotiationActivities>(activityOptions(timeouts, ['RangeError']));

  const parties: Party[] = request.parties.map((p) => ({ ...p }));
  const arbitrationPolicy = request.arbitration ?? defaultArbitrationPolicy;
  const active = new Set(parties.map((p) => p.id));
  let offences: Record<string, number> = {};
  let network: NetworkState | null = null;
  let pendingWithdrawals: Withdrawal[] = [];
  const adaptations: Adaptation[] = [];
  let flagCount = 0;
  const bounds = { min: request.topic.min, max: request.topic.max };
  // eq. (1)'s optimum over the request's parties; after each round MAESTRO's turn reports it under
  // the round's own weights (arbitration) and bounds (context units), and that value is shown instead
  const currentOptimum = (): number => optimumOf(parties, bounds);
  const state: NegotiationState = {
    id: workflowInfo().workflowId,
    status: 'running',
    currentRound: 0,
    request,
    rounds: [],
    consensus: null,
    optimum: { value: currentOptimum() },
    lastValues: {},
    network: null,
    activeParties: [...active],
    offences,
    adaptations,
    ...(input.cappedDemands?.length ? { cappedDemands: input.cappedDemands } : {}),
  };
  metrics.negotiationStarted({ parties: parties.length, optimizerMode: request.optimizerMode });
  let pendingChanges: TargetChange[] = [];

  const targetChangeProblem = ({ partyId, target }: TargetChange): string | null => {
    if (state.status !== 'running') return `negotiation is ${state.status}`;
    if (!parties.some((p) => p.id === partyId)) return `unknown party ${partyId}`;
    if (!active.has(partyId)) return `party ${partyId} is no longer negotiating`;
    if (!Number.isFinite(target) || target < bounds.min || target > bounds.max) {
      return `target ${target} is outside [${bounds.min}, ${bounds.max}]`;
    }
    return null;
  };
  setHandler(negotiationStateQuery, () => state);
  setHandler(
    changePartyTargetUpdate,
    (change) => {
      pendingChanges.push(change);
      return { appliesFromRound: state.currentRound + 1 };
    },
    {
      validator: (change: TargetChange) => {
        const problem = targetChangeProblem(change);
        if (problem !== null) throw new Error(problem);
      },
    },
  );
  setHandler(partyTargetChangedSignal, (change) => {
    const problem = targetChangeProblem(change);
    if (problem === null) pendingChanges.push(change);
    else log.warn('ignored target change', { ...change, problem });
  });

  setHandler(networkStateChangedSignal, (update) => {
    network = update;
    state.network = update;
  });
  setHandler(partyWithdrewSignal, (withdrawal) => {
    if (state.status === 'running' && active.has(withdrawal.partyId)) pendingWithdrawals.push(withdrawal);
    else log.warn('ignored withdrawal', { ...withdrawal });
  });

  const finish = (status: NegotiationState['status'], reason?: string): NegotiationState => {
    state.status = status;
    if (reason !== undefined) state.reason = reason;
    upsertSearchAttributes([{ key: negotiationStatusKey, value: status }]);
    metrics.negotiationFinished({
      status,
      rounds: state.rounds.length,
      durationMs: Date.now() - workflowInfo().startTime.getTime(),
    });
    return state;
  };

  /**
   * Between rounds: withdrawals and the network's state reshape the negotiation (paper: "negotiations
   * adapt or halt"). Returns the topic this round runs under, or a reason to halt.
   */
  const adaptToChanges = (round: number): { topic: Topic } | { halt: string } => {
    for (const w of pendingWithdrawals) {
      active.delete(w.partyId);
      adaptations.push({ round, kind: 'withdrawal', message: `${w.partyId} withdrew: ${w.reason}` });
    }
    pendingWithdrawals = [];
    state.activeParties = [...active];
    if (active.size < 2) return { halt: `fewer than two parties remain (${[...active].join(', ') || 'none'})` };
    const topic = request.topic;
    if (network === null) return { topic };
    const capacity = network.capacityMbps;
    if (capacity < topic.min) {
      return {
        halt: `network capacity ${capacity} ${topic.unit} is below the topic minimum ${topic.min} ${topic.unit}`,
      };
    }
    if (capacity < bounds.max) {
      adaptations.push({
        round,
        kind: 'bounds',
        message: `maximum lowered from ${bounds.max} to ${capacity} ${topic.unit} (network capacity)`,
      });
      bounds.max = capacity;
    }
    return { topic: { ...topic, max: bounds.max } };
  };

  try {
    let feedback: Record<string, MediatorFeedback> = {};
    for (let round = 1; round <= request.maxRounds; round++) {
      // Target changes land between rounds, so every agent of a round reasons about the same utilities.
      const applied = pendingChanges;
      pendingChanges = [];
      for (const change of applied) parties.find((p) => p.id === change.partyId)!.target = change.target;
      const adapted = adaptToChanges(round);
      if ('halt' in adapted) return finish('halted', adapted.halt);
      const topic = adapted.topic;
      if (applied.length > 0 || adaptations.some((a) => a.round === round)) state.optimum = { value: currentOptimum() };
      state.currentRound = round;
      upsertSearchAttributes([{ key: negotiationRoundKey, value: round }]);
      const negotiating = parties.filter((p) => active.has(p.id));
      // Telemetry goes into the turns only once some arrived, so turn inputs of negotiations without
      // telemetry stay as they were.
      const telemetry = network === null ? {} : { network };

      const boTurns = await Promise.all(
        negotiating.map((party) =>
          agent.runBoTurn({
            negotiationId: state.id,
            round,
            maxRounds: request.maxRounds,
            topic,
            party,
            others: negotiating.filter((o) => o.id !== party.id).map((o) => ({ id: o.id, objective: o.objective })),
            optimizerMode: request.optimizerMode,
            tolerance: request.tolerance,
            feedback: feedback[party.id] ?? null,
            ...telemetry,
          }),
        ),
      );
      const intents = Object.fromEntries(boTurns.map((t) => [t.partyId, t.intent]));
      // The round before, for MAESTRO's `moves` prompt (each party's move against its last proposal). Behind a
      // patch so that histories recorded before it replay with the turn input they had.
      const before = state.rounds.at(-1);
      const previousRound =
        before && patched('mediator-previous-round')
          ? { previousRound: { values: before.values, proposal: before.mediator.proposal } }
          : {};
      const mediator = await agent.runMediatorTurn({
        negotiationId: state.id,
        round,
        maxRounds: request.maxRounds,
        topic,
        parties: negotiating,
        optimizerMode: request.optimizerMode,
        tolerance: request.tolerance,
        intents,
        ...telemetry,
        arbitration: { policy: arbitrationPolicy, offences },
        ...previousRound,
      });
      const arbitration = mediator.arbitration;
      if (arbitration !== undefined) {
        offences = arbitration.offences;
        state.offences = offences;
        for (const partyId of arbitration.excluded) {
          active.delete(partyId);
          adaptations.push({ round, kind: 'exclusion', message: `${partyId} excluded by arbitration` });
        }
        state.activeParties = [...active];
        if (arbitration.flags.length > 0) {
          flagCount += arbitration.flags.length;
          upsertSearchAttributes([{ key: arbitralFlagCountKey, value: flagCount }]);
        }
      }
      state.optimum = { value: mediator.units.optimizer.closedForm };

      const warnings: UnitWarning[] = [
        ...boTurns.flatMap((t) => t.units.validation.warnings),
        ...mediator.units.validation.warnings,
      ];
      const llmSummaries = [...boTurns.map((t) => t.units.llm), mediator.units.llm].filter((s) => s !== null);
      const record: RoundRecord = {
        round,
        values: Object.fromEntries(boTurns.map((t) => [t.partyId, t.intent.value])),
        reasoning: Object.fromEntries(boTurns.map((t) => [t.partyId, t.intent.reasoning])),
        decision: mediator.decision,
        spread: mediator.spread,
        mediator: {
          proposal: mediator.units.validation.proposal,
          message: mediator.message,
          optimizerProposal: mediator.units.optimizer.proposal,
        },
        warnings,
        llm: {
          calls: llmSummaries.length,
          attempts: llmSummaries.reduce((s, l) => s + l.attempts, 0),
          latencyMs: llmSummaries.reduce((s, l) => s + l.latencyMs, 0),
        },
        targetChanges: applied,
        bounds: { min: topic.min, max: topic.max },
        grounding: mediator.units.context
          .filter((c) => c.unit !== 'arbitral' && (c.notes.length > 0 || (c.citations?.length ?? 0) > 0))
          .map((c) => ({ unit: c.unit, notes: c.notes, citations: c.citations ?? [] })),
        ...telemetry,
        ...(arbitration && (arbitration.flags.length > 0 || arbitration.incentives.length > 0)
          ? { arbitration: { flags: arbitration.flags, incentives: arbitration.incentives } }
          : {}),
      };
      state.rounds.push(record);
      state.lastValues = record.values;

      if (mediator.decision === 'consensus' && mediator.consensusValue !== null) {
        state.consensus = { value: mediator.consensusValue, round };
        return finish('consensus');
      }
      if (mediator.decision === 'halted') return finish('halted', mediator.message);
      if (mediator.decision === 'no_consensus') break;
      feedback = mediator.feedback;
    }
    return finish('no_consensus', `no consensus within ${request.maxRounds} rounds`);
  } catch (err) {
    if (isCancellation(err)) {
      // Complete (not fail) with the outcome recorded, so the API and the UI show a cancelled negotiation.
      return finish('cancelled', 'cancelled by request');
    }
    // An activity failure's own message is only "Activity task failed": report its cause.
    const rootCause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    finish('failed', rootCause instanceof Error ? rootCause.message : String(rootCause));
    throw ApplicationFailure.nonRetryable(`negotiation failed: ${state.reason}`, 'NegotiationFailed');
  }
}
