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
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { NegotiationActivities } from '../../activities/index.ts';
import type { NegotiationRequest, Party } from '../../core/negotiation/schemas.ts';
import type { MediatorFeedback, NegotiationState, RoundRecord, UnitWarning } from '../../core/negotiation/types.ts';
import { closedFormOptimum } from '../../core/optimizer/consensus.ts';
import { negotiationRoundKey, negotiationStatusKey } from '../../core/negotiation/search-attributes.ts';
import {
  changePartyTargetUpdate,
  negotiationStateQuery,
  partyTargetChangedSignal,
  type TargetChange,
} from './messages.ts';

export interface AgentTurnTimeouts {
  startToClose: string;
  heartbeat: string;
  retry: { initialInterval: string; backoffCoefficient: number; maximumInterval: string; maximumAttempts: number };
}

export interface NegotiationInput {
  request: NegotiationRequest;
  /** From temporal.yaml (timeouts.agentTurn), passed in because workflow code reads no files. */
  agentTurnTimeouts: AgentTurnTimeouts;
}

export async function negotiationWorkflow(input: NegotiationInput): Promise<NegotiationState> {
  const { request } = input;
  const timeouts = input.agentTurnTimeouts;
  const agent = proxyActivities<NegotiationActivities>({
    startToCloseTimeout: timeouts.startToClose,
    heartbeatTimeout: timeouts.heartbeat,
    retry: { ...timeouts.retry, nonRetryableErrorTypes: ['RangeError'] },
  });

  const parties: Party[] = request.parties.map((p) => ({ ...p }));
  const bounds = { min: request.topic.min, max: request.topic.max };
  const optimumOf = (): number =>
    closedFormOptimum(
      parties.map((p) => ({ partyId: p.id, target: p.target, weight: p.weight })),
      bounds,
    );
  const state: NegotiationState = {
    id: workflowInfo().workflowId,
    status: 'running',
    currentRound: 0,
    request,
    rounds: [],
    consensus: null,
    optimum: { value: optimumOf() },
    lastValues: {},
  };
  let pendingChanges: TargetChange[] = [];

  const targetChangeProblem = ({ partyId, target }: TargetChange): string | null => {
    if (state.status !== 'running') return `negotiation is ${state.status}`;
    if (!parties.some((p) => p.id === partyId)) return `unknown party ${partyId}`;
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

  const finish = (status: NegotiationState['status'], reason?: string): NegotiationState => {
    state.status = status;
    if (reason !== undefined) state.reason = reason;
    upsertSearchAttributes([{ key: negotiationStatusKey, value: status }]);
    return state;
  };

  try {
    let feedback: Record<string, MediatorFeedback> = {};
    for (let round = 1; round <= request.maxRounds; round++) {
      // Target changes land between rounds, so every agent of a round reasons about the same utilities.
      const applied = pendingChanges;
      pendingChanges = [];
      for (const change of applied) parties.find((p) => p.id === change.partyId)!.target = change.target;
      if (applied.length > 0) state.optimum = { value: optimumOf() };
      state.currentRound = round;
      upsertSearchAttributes([{ key: negotiationRoundKey, value: round }]);

      const boTurns = await Promise.all(
        parties.map((party) =>
          agent.runBoTurn({
            negotiationId: state.id,
            round,
            maxRounds: request.maxRounds,
            topic: request.topic,
            party,
            others: parties.filter((o) => o.id !== party.id).map((o) => ({ id: o.id, objective: o.objective })),
            optimizerMode: request.optimizerMode,
            tolerance: request.tolerance,
            feedback: feedback[party.id] ?? null,
          }),
        ),
      );
      const intents = Object.fromEntries(boTurns.map((t) => [t.partyId, t.intent]));
      const mediator = await agent.runMediatorTurn({
        negotiationId: state.id,
        round,
        maxRounds: request.maxRounds,
        topic: request.topic,
        parties,
        optimizerMode: request.optimizerMode,
        tolerance: request.tolerance,
        intents,
      });

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
      };
      state.rounds.push(record);
      state.lastValues = record.values;

      if (mediator.decision === 'consensus' && mediator.consensusValue !== null) {
        state.consensus = { value: mediator.consensusValue, round };
        return finish('consensus');
      }
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
