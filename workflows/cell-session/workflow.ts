/**
 * One shared cell's long-lived session (MAESTRO Section V, Figs. 4–5). It holds the BOs' current
 * intents for the cell, receives the RAN's telemetry as signals, and:
 *  - starts a negotiation (child workflow) when intents conflict, when the network can no longer
 *    deliver the consensus, or when it recovers well above what the last negotiation was capped at;
 *  - enforces each outcome through the slice operator (PRBs per BO slice + A1 SLA policies);
 *  - re-plans PRBs when the channel settles at another CQI but the consensus still fits;
 *  - asks every BO to vote on switching the cell off when service is useless to all of them, and
 *    switches it back on, with a new negotiation, when conditions recover;
 *  - when the operator requires it, holds a consensus until the operator approves or rejects it
 *    (update `decideConsensus`), or until a durable timer applies the configured default;
 *  - checks every few reports that the near-RT RIC still holds the enforced A1 policies and sends
 *    again what it lost (a RIC restart), and keeps enforcement failures in its event log.
 * Network-triggered actions pass the hysteresis of triggers.ts. The session continues-as-new every
 * `reportsPerRun` reports, carrying its state; telemetry windows and event logs are bounded.
 */
import {
  ActivityFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { NetworkActivities } from '../../activities/network/index.ts';
import {
  cellIdKey,
  cellSessionPhaseKey,
  optimizerModeKey,
  partyCountKey,
  partyIdsKey,
} from '../../core/negotiation/search-attributes.ts';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import type { TelemetryReport } from '../../core/network/contracts.ts';
import {
  noApproval,
  type ApprovalDecisionInput,
  type ApprovalOutcome,
  type ApprovalPolicy,
} from '../../core/intents/approval.ts';
import { negotiationProfile } from '../../core/intents/schemas.ts';
import { networkStateChangedSignal } from '../negotiation/messages.ts';
import { negotiationWorkflow } from '../negotiation/workflow.ts';
import { activityOptions } from '../../core/temporal/activity-timeouts.ts';
import { chooseCheckedMcs, mcsCeilingOf, twinCheckPlan, type TwinCheckRecord } from '../../core/network/twin-check.ts';
import type { TwinActivities } from '../../core/twin/orchestration.ts';
import { activityTimeouts } from '../topology.ts';
import { cellSessionIdOf } from './ids.ts';
import {
  a1Summary,
  agreedMbps,
  approvalOutcome,
  concludedSummary,
  lastA1CheckS,
  negotiationKey,
  negotiationRequestFor,
  pendingApprovalFor,
  prbSummary,
  promisedMbps,
} from './transitions.ts';
import {
  cellSessionStateQuery,
  decideConsensusUpdate,
  deleteIntentUpdate,
  setApprovalPolicyUpdate,
  telemetrySignal,
  upsertIntentUpdate,
} from './messages.ts';
import {
  capacityEstimateMbps,
  decideNetworkAction,
  intentsConflict,
  planningCqi,
  type NetworkAction,
  type Phase,
} from './triggers.ts';
import type {
  CellEvent,
  CellSessionCarry,
  CellSessionInput,
  CellSessionState,
  NegotiationSummary,
  NegotiationTrigger,
  SessionIntent,
} from './types.ts';

const maxEvents = 200;
const maxNegotiationsKept = 30;
const maxApprovalsKept = 30;
const defaultA1SyncEveryS = 10;

/** A twin check in one line, for the session's events. */
function twinCheckSummary(check: TwinCheckRecord): string {
  const bler = (b: number | null): string => (b === null ? 'n/a' : b.toFixed(3));
  const at = `CQI ${check.cqi} at ${check.sinrDb} dB`;
  if (check.mcsIndex === check.cqiMcsIndex)
    return `${at}: the twin confirms MCS ${check.mcsIndex} (BLER ${bler(check.bler)})`;
  return `${at}: MCS ${check.cqiMcsIndex} has BLER ${bler(check.cqiMcsBler)} on the twin; planned under MCS ${check.mcsIndex} (BLER ${bler(check.bler)})${check.belowTarget ? ', the most robust tried, still above 10 %' : ''}`;
}

/** The message of a failed activity: the cause's, not Temporal's "Activity task failed". */
const failureMessage = (err: unknown): string =>
  err instanceof ActivityFailure && err.cause ? err.cause.message : err instanceof Error ? err.message : String(err);
/** Reports kept for fulfilment reports (observationPeriod) and the hysteresis window. */
const maxTelemetryKept = 120;

const emptyCarry = (): CellSessionCarry => ({
  intents: [],
  phase: 'idle',
  consensusMbps: null,
  negotiatedCapMbps: null,
  enforcement: null,
  negotiations: [],
  events: [],
  telemetry: [],
  lastActionAtS: null,
  negotiationCount: 0,
  run: 0,
  lastVotes: [],
});

export async function cellSessionWorkflow(input: CellSessionInput): Promise<void> {
  const { cell, policy } = input;
  const carry: CellSessionCarry = input.carry ?? emptyCarry();
  // temporal.yaml's `timeouts.ranEnforcement` and `.switchOffVote`: asked for now, awaited once the
  // handlers are set (an update or signal of the first task must find its handler)
  const timeoutsRead = activityTimeouts();

  let activeChild: { handle: ChildWorkflowHandle<typeof negotiationWorkflow>; summary: NegotiationSummary } | null =
    null;
  let finishedChild: { summary: NegotiationSummary; state: NegotiationState | null; error?: string } | null = null;
  let intentsDirty = false;
  let forwardedCapacityMbps: number | null = null;
  const inbox: TelemetryReport[] = [];
  let reportsThisRun = 0;

  const now = (): number => carry.telemetry.at(-1)?.tS ?? 0;
  const event = (kind: CellEvent['kind'], message: string): void => {
    carry.events.push({ tS: now(), kind, message });
    if (carry.events.length > maxEvents) carry.events.splice(0, carry.events.length - maxEvents);
  };
  const active = (): SessionIntent[] => carry.intents.filter((i) => i.record.body.intentAdminState === 'ACTIVATED');
  const approvalPolicy = (): ApprovalPolicy => carry.approvalPolicy ?? policy.approval ?? noApproval;
  /** The operator's decision on the pending consensus, until the main loop applies it. */
  let decision: Pick<ApprovalOutcome, 'decision' | 'by' | 'reason'> | null = null;
  const state = (): CellSessionState => ({
    ...carry,
    cellId: cell.cellId,
    cell,
    policy,
    activeNegotiationId: activeChild?.summary.negotiationId ?? null,
    approval: approvalPolicy(),
  });

  const setPhase = (phase: Phase): void => {
    if (phase !== carry.phase) upsertSearchAttributes([{ key: cellSessionPhaseKey, value: phase }]);
    carry.phase = phase;
  };

  setHandler(cellSessionStateQuery, state);
  setHandler(
    upsertIntentUpdate,
    (intent) => {
      const i = carry.intents.findIndex((x) => x.record.id === intent.record.id);
      const before = i >= 0 ? negotiationKey(carry.intents[i]!) : null;
      if (i >= 0) carry.intents[i] = intent;
      else carry.intents.push(intent);
      // Only what changes the negotiation renegotiates: a new label or description does not.
      if (before !== negotiationKey(intent)) intentsDirty = true;
      event('intent_changed', `${intent.record.tenantId} ${i >= 0 ? 'changed' : 'created'} ${intent.record.id}`);
      return { version: intent.record.version };
    },
    {
      validator: (intent: SessionIntent) => {
        if (intent.record.cellId !== cell.cellId) throw new Error(`intent is for ${intent.record.cellId}`);
        const existing = carry.intents.find((x) => x.record.id === intent.record.id);
        if (existing && existing.record.tenantId !== intent.record.tenantId)
          throw new Error('intent of another tenant');
        if (existing && intent.record.version !== existing.record.version + 1) {
          throw new Error(`stale version ${intent.record.version}; current is ${existing.record.version}`);
        }
      },
    },
  );
  setHandler(
    deleteIntentUpdate,
    ({ intentId }) => {
      carry.intents = carry.intents.filter((x) => x.record.id !== intentId);
      intentsDirty = true;
      event('intent_changed', `${intentId} deleted`);
      return { deleted: true as const };
    },
    {
      validator: ({ intentId, tenantId }: { intentId: string; tenantId: string }) => {
        const existing = carry.intents.find((x) => x.record.id === intentId);
        if (!existing) throw new Error(`no intent ${intentId}`);
        if (existing.record.tenantId !== tenantId) throw new Error('intent of another tenant');
      },
    },
  );
  setHandler(
    setApprovalPolicyUpdate,
    (next) => {
      carry.approvalPolicy = next;
      event(
        'approval_policy',
        next.required
          ? `consensus needs operator approval (${next.timeoutS} s, then ${next.onTimeout})`
          : 'consensus enforced without approval',
      );
      return next;
    },
    {
      validator: (next: ApprovalPolicy) => {
        if (typeof next.required !== 'boolean') throw new Error('required must be a boolean');
        if (!Number.isInteger(next.timeoutS) || next.timeoutS < 1) throw new Error('timeoutS must be an integer ≥ 1');
        if (next.onTimeout !== 'approve' && next.onTimeout !== 'reject')
          throw new Error('onTimeout: approve or reject');
      },
    },
  );
  setHandler(
    decideConsensusUpdate,
    (d) => {
      decision = { decision: d.decision, by: 'operator', ...(d.reason ? { reason: d.reason } : {}) };
      return { negotiationId: d.negotiationId, decision: d.decision };
    },
    {
      validator: (d: ApprovalDecisionInput) => {
        const pending = carry.pendingApproval;
        if (!pending) throw new Error('no consensus is waiting for approval');
        if (d.negotiationId !== pending.negotiationId) {
          throw new Error(`the consensus waiting for approval is ${pending.negotiationId}'s, not ${d.negotiationId}'s`);
        }
        if (decision !== null) throw new Error(`${pending.negotiationId} is already decided`);
        if (d.decision !== 'approve' && d.decision !== 'reject') throw new Error('decision: approve or reject');
        if (d.decision === 'reject' && !d.reason?.trim()) throw new Error('a rejection needs a reason');
      },
    },
  );
  setHandler(telemetrySignal, (report) => {
    if (report.cellId === cell.cellId) inbox.push(report);
  });

  upsertSearchAttributes([
    { key: cellIdKey, value: cell.cellId },
    { key: cellSessionPhaseKey, value: carry.phase },
  ]);
  const timeouts = await timeoutsRead;
  const network = proxyActivities<NetworkActivities>(activityOptions(timeouts.ranEnforcement));
  const voting = proxyActivities<NetworkActivities>(activityOptions(timeouts.switchOffVote));
  // A run started before temporal.yaml had `twinCheck` recorded timeouts without it.
  const twin = input.twinCheck
    ? proxyActivities<TwinActivities>({
        taskQueue: input.twinCheck.taskQueue,
        ...activityOptions(timeouts.twinCheck ?? timeouts.twin, ['InvalidOrchestration']),
      })
    : null;

  /**
   * The plan's link on the Sionna twin before it is enforced (core/network/twin-check.ts): the
   * highest MCS at or under the CQI's 10 % BLER at the worst SINR the CQI allows. Without a twin
   * (none configured, none answering in time) the plan is enforced on the CQI alone, and the event says so.
   */
  const checkOnTwin = async (cqi: number): Promise<TwinCheckRecord | null> => {
    if (twin === null || !input.twinCheck || !patched('twin-check-before-enforcement')) return null;
    const plan = twinCheckPlan(cell, cqi, input.twinCheck.sinrMarginDb ?? 0);
    if (plan.kind === 'skipped') {
      event('twin_checked', `not checked: ${plan.reason}`);
      return null;
    }
    try {
      const batch = await twin.evaluate_batch({
        orchestrations: plan.candidates.map((c) => c.orchestration),
        fidelity: 'system',
      });
      const results = plan.candidates.map((_, i) => batch.items.find((item) => item.index === i)?.result ?? null);
      const check = chooseCheckedMcs(plan, results);
      if (check === null) {
        event('twin_checked', `the twin evaluated none of MCS ${plan.cqiMcsIndex}…: enforced on the CQI alone`);
        return null;
      }
      event('twin_checked', twinCheckSummary(check));
      return check;
    } catch (err) {
      event('twin_checked', `twin unavailable (${failureMessage(err)}): enforced on the CQI alone`);
      return null;
    }
  };

  const latestCapacity = (): number | null => carry.telemetry.at(-1)?.capacityMbps ?? null;
  const estimatedCapacity = (): number | null => capacityEstimateMbps(carry.telemetry, policy.sustainReports);

  const enforce = async (throughputMbps: number, kind: 'enforced' | 'replanned'): Promise<void> => {
    const tenants = active().map((i) => ({ tenantId: i.record.tenantId, weight: i.weight }));
    const cqi = planningCqi(carry.telemetry, policy.sustainReports);
    const twinCheck = throughputMbps > 0 ? await checkOnTwin(cqi) : null;
    const maxMcsIndex = twinCheck === null ? undefined : mcsCeilingOf(twinCheck);
    let result: Awaited<ReturnType<typeof network.enforceCellThroughput>>;
    try {
      result = await network.enforceCellThroughput({
        cell,
        cqi,
        throughputMbps,
        tenants,
        ...(maxMcsIndex === undefined ? {} : { maxMcsIndex }),
      });
    } catch (err) {
      // Before this patch a RAN or RIC that kept failing failed the whole session.
      if (!patched('enforcement-failures-kept-in-session')) throw err;
      event('enforcement_failed', `${throughputMbps.toFixed(1)} Mbps not enforced: ${failureMessage(err)}`);
      setPhase(carry.enforcement ? 'enforced' : 'idle');
      return;
    }
    carry.previousEnforcement = carry.enforcement;
    carry.enforcement = { atS: now(), throughputMbps, ...result, ...(twinCheck === null ? {} : { twinCheck }) };
    setPhase('enforced');
    const prbs = prbSummary(result.networkIntent);
    event(
      kind,
      `${throughputMbps.toFixed(1)} Mbps at CQI ${cqi}: PRBs ${prbs}${result.networkIntent.fits ? '' : ' (scaled down: does not fit)'}${a1Summary(result.a1Status)}`,
    );
  };

  /** The RIC must still hold the enforced policies: what it lost (a restart) is sent again. */
  const syncA1 = async (): Promise<void> => {
    const enforcement = carry.enforcement;
    if (!enforcement) return;
    try {
      const r = await network.syncA1Policies({ cell, networkIntent: enforcement.networkIntent });
      enforcement.a1Status = r.a1Status;
      carry.lastA1Sync = { atS: now(), resent: r.resent, repaired: r.repaired };
      if (r.resent.length > 0 || r.repaired.length > 0) {
        const parts = [
          r.resent.length > 0 ? `resent ${r.resent.join(', ')} (lost by the RIC)` : '',
          r.repaired.length > 0 ? `replaced ${r.repaired.join(', ')} (changed on the RIC)` : '',
        ].filter(Boolean);
        event('a1_resynced', `${parts.join('; ')}${a1Summary(r.a1Status)}`);
      }
    } catch (err) {
      // Counted as a check, so a RIC that is down is asked again after the interval, not every report.
      carry.lastA1Sync = { atS: now(), resent: [], repaired: [], error: failureMessage(err) };
      event('enforcement_failed', `A1 policy check failed: ${carry.lastA1Sync.error}`);
    }
  };

  /** One BO, or BOs that already agree: nothing to negotiate; their weighted mean is the consensus. */
  const enforceAgreement = async (): Promise<void> => {
    const agreed = agreedMbps(active(), input.cellBestMbps);
    carry.consensusMbps = agreed;
    carry.negotiatedCapMbps = null;
    await enforce(Math.min(agreed, estimatedCapacity() ?? agreed), 'enforced');
  };

  const startNegotiation = async (trigger: NegotiationTrigger): Promise<void> => {
    const intents = active();
    if (intents.length < 2) {
      if (intents.length === 1) await enforceAgreement();
      return;
    }
    const bestMbps = input.cellBestMbps;
    const planned = negotiationRequestFor(cell, intents, estimatedCapacity() ?? bestMbps, bestMbps, policy);
    const { capMbps, request } = planned;
    // Below every BO's floor the service is useless to all: no outcome there is worth negotiating.
    if (request === null) {
      event(
        'negotiation_finished',
        `not negotiated: capacity ${capMbps} Mbps leaves nothing above the floors to share`,
      );
      return;
    }
    carry.negotiationCount += 1;
    // From the cell, not workflowInfo(): the same ids on replay under any workflow id.
    const negotiationId = `${cellSessionIdOf(cell.cellId)}-n${carry.negotiationCount}`;
    const summary: NegotiationSummary = {
      negotiationId,
      trigger,
      startedAtS: now(),
      finishedAtS: null,
      status: null,
      valueMbps: null,
      decidedBy: null,
      rounds: 0,
      capMbps,
      warned: [],
    };
    const handle = await startChild(negotiationWorkflow, {
      workflowId: negotiationId,
      args: [{ request, agentTurnTimeouts: input.agentTurnTimeouts }],
      workflowRunTimeout: input.negotiationRunTimeout,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: cellIdKey, value: cell.cellId },
        { key: partyCountKey, value: request.parties.length },
        { key: optimizerModeKey, value: policy.optimizerMode },
        { key: partyIdsKey, value: request.parties.map((p) => p.id) },
      ],
    });
    activeChild = { handle, summary };
    setPhase('negotiating');
    carry.negotiatedCapMbps = capMbps < bestMbps * 0.95 ? capMbps : null;
    forwardedCapacityMbps = null;
    event('negotiation_started', `${negotiationId} (${trigger}), ${request.parties.length} BOs, cap ${capMbps} Mbps`);
    handle.result().then(
      (result) => (finishedChild = { summary, state: result }),
      (err: unknown) =>
        (finishedChild = { summary, state: null, error: err instanceof Error ? err.message : String(err) }),
    );
  };

  /** Outcome of a finished negotiation → the throughput the network enforces. */
  const concludeNegotiation = async (done: NonNullable<typeof finishedChild>): Promise<void> => {
    activeChild = null;
    // Without a consensus the network still needs a setting: MAESTRO's fair proposal (eq. (1)'s optimum).
    const { summary, valueMbps: value } = concludedSummary(done.summary, done.state, now());
    for (const partyId of summary.warned)
      event('warned', `${partyId} flagged by the arbitral unit in ${summary.negotiationId}`);
    carry.negotiations.push(summary);
    if (carry.negotiations.length > maxNegotiationsKept) carry.negotiations.shift();
    event(
      'negotiation_finished',
      `${summary.negotiationId}: ${summary.status}${value === null ? '' : `, ${value.toFixed(1)} Mbps`}${done.error ? ` (${done.error})` : ''}`,
    );
    carry.lastActionAtS = now();
    if (value === null) {
      setPhase(carry.enforcement ? 'enforced' : 'idle');
      return;
    }
    const rule = approvalPolicy();
    if (rule.required) {
      // Workflow time (deterministic on replay); the deadline is absolute, so it survives continue-as-new.
      carry.pendingApproval = pendingApprovalFor(summary, value, rule, Date.now());
      decision = null;
      setPhase('awaiting_approval');
      event(
        'approval_requested',
        `${summary.negotiationId}: ${value.toFixed(1)} Mbps waits for the operator until ${carry.pendingApproval.deadline} (then ${rule.onTimeout})`,
      );
      return;
    }
    carry.consensusMbps = value;
    await enforce(value, 'enforced');
  };

  /** The operator's decision, or the timer's default, on the pending consensus. */
  const settleApproval = async (): Promise<void> => {
    const pending = carry.pendingApproval;
    const decided = decision;
    decision = null;
    if (!pending || !decided) return;
    carry.pendingApproval = null;
    carry.approvals = [...(carry.approvals ?? []), approvalOutcome(pending, decided, Date.now())].slice(
      -maxApprovalsKept,
    );
    const who = decided.by === 'timeout' ? 'no answer in time: default' : 'operator';
    if (decided.decision === 'approve') {
      event('approved', `${pending.negotiationId}: ${pending.valueMbps.toFixed(1)} Mbps approved (${who})`);
      carry.consensusMbps = pending.valueMbps;
      carry.lastActionAtS = now();
      await enforce(pending.valueMbps, 'enforced');
      return;
    }
    event(
      'rejected',
      `${pending.negotiationId}: ${pending.valueMbps.toFixed(1)} Mbps rejected (${who}${decided.reason ? `: ${decided.reason}` : ''}); the previous setting stays`,
    );
    setPhase(carry.enforcement ? 'enforced' : 'idle');
  };

  /** Intents changed: negotiate if they conflict, otherwise enforce what they agree on. */
  const onIntentsChanged = async (): Promise<void> => {
    intentsDirty = false;
    if (carry.pendingApproval) {
      // The outcome was for intents that no longer hold; what follows is decided afresh.
      event('approval_superseded', `${carry.pendingApproval.negotiationId}: the intents changed before a decision`);
      carry.pendingApproval = null;
      decision = null;
      setPhase(carry.enforcement ? 'enforced' : 'idle');
    }
    const intents = active();
    upsertSearchAttributes([{ key: partyCountKey, value: intents.length }]);
    if (carry.phase === 'switched_off') return; // the recovery path renegotiates with the new intents
    if (intents.length === 0) {
      carry.consensusMbps = null;
      if (carry.enforcement) await enforce(0, 'enforced');
      setPhase('idle');
      return;
    }
    const targets = intents.map((i) => Math.min(negotiationProfile(i.record).targetMbps, input.cellBestMbps));
    if (intentsConflict(targets, policy.toleranceMbps)) {
      await startNegotiation('intent_conflict');
      return;
    }
    await enforceAgreement();
  };

  const voteOnSwitchOff = async (): Promise<boolean> => {
    const capacityMbps = estimatedCapacity() ?? 0;
    carry.lastVotes = await Promise.all(
      active().map((i) => {
        const p = negotiationProfile(i.record);
        return voting.voteOnSwitchOff({
          cellId: cell.cellId,
          tenantId: p.tenantId,
          personality: p.personality,
          targetMbps: p.targetMbps,
          switchOffBelowMbps: p.switchOffBelowMbps,
          capacityMbps,
          ...(p.businessIntent ? { businessIntent: p.businessIntent } : {}),
        });
      }),
    );
    const unanimous = carry.lastVotes.length > 0 && carry.lastVotes.every((v) => v.vote === 'switch_off');
    event(
      'switch_off_vote',
      `${carry.lastVotes.map((v) => `${v.tenantId}: ${v.vote}`).join(', ')} → ${unanimous ? 'switch off' : 'stay on'}`,
    );
    return unanimous;
  };

  /**
   * The enforced plan delivers less than it promised while the channel carries it: the enforcement
   * made things worse. The previous plan goes back in force, and the BOs negotiate again.
   */
  const revertDegradedPlan = async (deliveredMbps: number): Promise<void> => {
    const degraded = carry.enforcement;
    const previous = carry.previousEnforcement ?? null;
    const promised = degraded ? promisedMbps(degraded.networkIntent) : 0;
    const why = `delivered ${deliveredMbps.toFixed(1)} Mbps, below the ${promised.toFixed(1)} Mbps the plan promised, while the channel carries it`;
    if (previous) {
      try {
        const restored = await network.restoreNetworkIntent({ cell, networkIntent: previous.networkIntent });
        carry.enforcement = { atS: now(), throughputMbps: previous.throughputMbps, ...restored };
        carry.previousEnforcement = null;
        carry.consensusMbps = previous.throughputMbps;
        const prbs = prbSummary(restored.networkIntent);
        event(
          'reverted',
          `${why}: restored the previous plan (${previous.throughputMbps.toFixed(1)} Mbps, PRBs ${prbs})`,
        );
      } catch (err) {
        event('enforcement_failed', `revert to the previous plan failed: ${failureMessage(err)}`);
      }
    } else {
      event('reverted', `${why}: no earlier plan to restore`);
    }
    await startNegotiation('degraded');
  };

  const act = async (action: NetworkAction): Promise<void> => {
    carry.lastActionAtS = now();
    switch (action.kind) {
      case 'renegotiate':
        await startNegotiation(action.reason);
        return;
      case 'replan':
        if (carry.consensusMbps !== null) await enforce(carry.consensusMbps, 'replanned');
        return;
      case 'vote_switch_off':
        if (await voteOnSwitchOff()) {
          await network.setCellPower({ cellId: cell.cellId, on: false });
          setPhase('switched_off');
          carry.consensusMbps = null;
          event('switched_off', `capacity ${latestCapacity()?.toFixed(1)} Mbps is below every BO's floor`);
        }
        return;
      case 'revert':
        await revertDegradedPlan(action.deliveredMbps);
        return;
      case 'switch_on':
        await network.setCellPower({ cellId: cell.cellId, on: true });
        setPhase('idle');
        event('switched_on', `capacity ${latestCapacity()?.toFixed(1)} Mbps is useful again`);
        await startNegotiation('recovered');
        return;
    }
  };

  const handleReport = async (report: TelemetryReport): Promise<void> => {
    carry.telemetry.push(report);
    if (carry.telemetry.length > maxTelemetryKept) carry.telemetry.shift();
    reportsThisRun += 1;
    // On the telemetry's clock and from carried state, so the cadence holds across continue-as-new.
    if (
      carry.enforcement &&
      carry.phase !== 'switched_off' &&
      report.tS - lastA1CheckS(carry.enforcement, carry.lastA1Sync) >= (policy.a1SyncEveryS ?? defaultA1SyncEveryS) &&
      patched('a1-policy-sync')
    ) {
      await syncA1();
    }
    if (activeChild) {
      // The running negotiation's observability unit hears of real changes only, not of every report.
      const changed =
        forwardedCapacityMbps === null ||
        Math.abs(report.capacityMbps - forwardedCapacityMbps) > policy.marginFraction * forwardedCapacityMbps;
      // A child that has already finished is concluded on the next pass; there is no one to tell.
      const closed = finishedChild !== null && patched('child-signal-failure-tolerated');
      if (changed && !closed) {
        forwardedCapacityMbps = report.capacityMbps;
        try {
          await activeChild.handle.signal(networkStateChangedSignal, {
            cqi: report.cqi,
            capacityMbps: Math.round(report.capacityMbps * 10) / 10,
            source: 'emulated-ran',
          });
        } catch (err) {
          // The child can close between its last turn and this signal ("not found"): its outcome is
          // concluded on the next pass. Before this patch the failed signal failed the whole session.
          if (!patched('child-signal-failure-tolerated')) throw err;
          log.warn('capacity change not forwarded: the negotiation has closed', { error: failureMessage(err) });
        }
      }
      return;
    }
    // Hysteresis counts only reports after the last action: what led to it must not trigger it twice.
    const sinceLastAction = carry.telemetry.filter((r) => carry.lastActionAtS === null || r.tS > carry.lastActionAtS);
    const action = decideNetworkAction(
      sinceLastAction,
      {
        phase: carry.phase,
        consensusMbps: carry.consensusMbps,
        negotiatedCapMbps: carry.negotiatedCapMbps,
        plannedCqi: carry.enforcement?.networkIntent.cqi ?? null,
        switchOffFloorsMbps: active().map((i) => i.record.body.agent.switchOffBelowMbps),
        lastActionAtS: carry.lastActionAtS,
        // Before this patch a degrading plan stayed in force; old histories replay without the check.
        ...(carry.enforcement && patched('revert-on-degradation')
          ? { enforcedMbps: promisedMbps(carry.enforcement.networkIntent) }
          : {}),
      },
      policy,
    );
    if (action) await act(action);
  };

  const woken = (): boolean =>
    inbox.length > 0 || finishedChild !== null || (intentsDirty && activeChild === null) || decision !== null;
  for (;;) {
    const pending = carry.pendingApproval;
    if (pending && decision === null) {
      // The durable timer of the approval: on time-out the configured default decides.
      const leftMs = Math.max(1, Date.parse(pending.deadline) - Date.now());
      if (!(await condition(woken, leftMs)) && carry.pendingApproval === pending && decision === null) {
        decision = { decision: approvalPolicy().onTimeout, by: 'timeout' };
      }
    } else {
      await condition(woken);
    }
    if (decision !== null) await settleApproval();
    if (finishedChild !== null) {
      const done = finishedChild;
      finishedChild = null;
      await concludeNegotiation(done);
    }
    if (intentsDirty && activeChild === null) await onIntentsChanged();
    while (inbox.length > 0) await handleReport(inbox.shift()!);

    const due = reportsThisRun >= policy.reportsPerRun || workflowInfo().continueAsNewSuggested;
    if (due && activeChild === null && !intentsDirty && inbox.length === 0 && decision === null) {
      await condition(allHandlersFinished);
      if (inbox.length > 0 || intentsDirty || decision !== null) continue;
      log.info('cell session continues as new', { cellId: cell.cellId, run: carry.run });
      carry.run += 1;
      await continueAsNew<typeof cellSessionWorkflow>({ ...input, carry });
    }
  }
}
