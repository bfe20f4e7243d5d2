/**
 * What the negotiation routes do, in Temporal terms: start (idempotently), read, list, cancel and
 * change a party's target. Throws HttpErrors; knows nothing of express.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import type { MaestroConfig } from '../../core/config.ts';
import {
  capDemand,
  capDemands,
  type CappedDemand,
  type NegotiationRequestBody,
} from '../../core/negotiation/schemas.ts';
import {
  cellIdKey,
  negotiationStatusKey,
  optimizerModeKey,
  partyCountKey,
  partyIdsKey,
} from '../../core/negotiation/search-attributes.ts';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import {
  changePartyTargetUpdate,
  negotiationStateQuery,
  networkStateChangedSignal,
  partyWithdrewSignal,
} from '../../workflows/negotiation/messages.ts';
import type { NetworkState } from '../../core/negotiation/schemas.ts';
import type { NegotiationInput } from '../../workflows/negotiation/workflow.ts';
import { conflict, HttpError, notFound } from '../errors.ts';
import { askWorker, defaultWorkerAnswerMs } from '../worker-call.ts';
import type { ListItem } from './schemas.ts';

const workflowType = 'negotiationWorkflow';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export class NegotiationService {
  private readonly client: Client;
  private readonly config: MaestroConfig;
  private readonly workerAnswerMs: number;
  constructor(client: Client, config: MaestroConfig, workerAnswerMs = defaultWorkerAnswerMs) {
    this.client = client;
    this.config = config;
    this.workerAnswerMs = workerAnswerMs;
  }

  /** A query or update of negotiation `id`, bounded (api/worker-call.ts). */
  private ask<T>(id: string, call: () => Promise<T>): Promise<T> {
    return askWorker(this.client, `negotiation ${id}`, this.workerAnswerMs, call);
  }

  /** Starts a negotiation; with an idempotency key a repeat returns the first one (created = false). */
  async start(body: NegotiationRequestBody, idempotencyKey?: string): Promise<{ id: string; created: boolean }> {
    // The hash is of what the client sent, so a repeat with another out-of-range target is a different request.
    const requestHash = sha256(JSON.stringify(body));
    const { request, cappedDemands } = capDemands(body);
    const id = idempotencyKey ? `negotiation-k${sha256(idempotencyKey).slice(0, 32)}` : `negotiation-${randomUUID()}`;
    if (idempotencyKey) {
      const existing = await this.describeOrNull(id);
      if (existing) return { id, created: this.checkSameRequest(existing, requestHash) };
    }
    const input: NegotiationInput = {
      request,
      agentTurnTimeouts: this.config.topology.timeouts.agentTurn,
      ...(cappedDemands.length > 0 ? { cappedDemands } : {}),
    };
    try {
      await this.client.workflow.start(workflowType, {
        workflowId: id,
        taskQueue: this.config.topology.taskQueues.negotiation,
        args: [input],
        memo: { requestSha256: requestHash },
        workflowRunTimeout: this.config.topology.timeouts.negotiationRun,
        // A key names one negotiation for good: never start a second under it, even after the first closed.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: negotiationStatusKey, value: 'running' },
          { key: partyCountKey, value: request.parties.length },
          { key: optimizerModeKey, value: request.optimizerMode },
          { key: partyIdsKey, value: request.parties.map((p) => p.id) },
          ...(request.cellId ? [{ key: cellIdKey, value: request.cellId }] : []),
        ],
      });
      return { id, created: true };
    } catch (err) {
      // Two requests with the same key raced: the loser returns the winner's negotiation.
      if (err instanceof WorkflowExecutionAlreadyStartedError && idempotencyKey) {
        const existing = await this.describeOrNull(id);
        if (existing) return { id, created: this.checkSameRequest(existing, requestHash) };
      }
      throw err;
    }
  }

  async get(id: string): Promise<NegotiationState> {
    const description = await this.describe(id);
    const handle = this.client.workflow.getHandle(id);
    if (description.status.name === 'COMPLETED') return (await handle.result()) as NegotiationState;
    // Running (or failed/terminated/timed out): the query replays the history on a worker and returns the state.
    try {
      const state = await this.ask(id, () => handle.query(negotiationStateQuery));
      return withClosedStatus(state, description.status.name);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      // A run closed before its first workflow task has no state to query.
      if (description.status.name === 'RUNNING') throw err;
      throw conflict(
        `negotiation ${id} ended (workflow ${description.status.name.toLowerCase()}) before it recorded any state`,
      );
    }
  }

  /** Negotiations, newest first; with `partyId`, only those that tenant takes part in. */
  async list(status: string | undefined, limit: number, partyId?: string): Promise<ListItem[]> {
    const filters = [`WorkflowType = '${workflowType}'`];
    if (status) filters.push(`NegotiationStatus = '${status}'`);
    // Both values come validated from zod schemas (status enum, tenant id pattern): no quoting to escape.
    if (partyId) filters.push(`PartyIds = '${partyId}'`);
    const items: ListItem[] = [];
    for await (const wf of this.client.workflow.list({
      query: filters.join(' AND '),
      pageSize: Math.min(limit, 100),
    })) {
      const attrs = wf.typedSearchAttributes;
      const recorded = (attrs.get(negotiationStatusKey) as ListItem['status'] | undefined) ?? 'unknown';
      items.push({
        id: wf.workflowId,
        status: recorded === 'running' && wf.status.name !== 'RUNNING' ? 'failed' : recorded,
        workflowStatus: wf.status.name,
        startTime: wf.startTime.toISOString(),
        closeTime: wf.closeTime?.toISOString() ?? null,
        partyCount: attrs.get(partyCountKey) ?? null,
        optimizerMode: (attrs.get(optimizerModeKey) as ListItem['optimizerMode'] | undefined) ?? null,
        cellId: attrs.get(cellIdKey) ?? null,
      });
      if (items.length >= limit) break;
    }
    return items;
  }

  async cancel(id: string): Promise<void> {
    const description = await this.describe(id);
    if (description.status.name !== 'RUNNING') throw conflict(`negotiation ${id} is not running`);
    await this.client.workflow.getHandle(id).cancel();
  }

  /** A new target, capped to the topic's range like a start's (the answer says when it was). */
  async changeTarget(
    id: string,
    partyId: string,
    requested: number,
  ): Promise<{ target: number; appliesFromRound: number; capped?: CappedDemand }> {
    const description = await this.describe(id);
    if (description.status.name !== 'RUNNING') throw conflict(`negotiation ${id} is not running`);
    const { topic } = (await this.ask(id, () => this.client.workflow.getHandle(id).query(negotiationStateQuery)))
      .request;
    const { target, capped } = capDemand(partyId, requested, topic);
    try {
      const { appliesFromRound } = await this.ask(id, () =>
        this.client.workflow.getHandle(id).executeUpdate(changePartyTargetUpdate, { args: [{ partyId, target }] }),
      );
      return { target, appliesFromRound, ...(capped ? { capped } : {}) };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause instanceof Error ? err.cause.message : err.message;
        if (reason.startsWith('unknown party')) throw notFound(`party ${partyId} in ${id}`);
        if (reason.startsWith('negotiation is') || reason.endsWith('no longer negotiating')) throw conflict(reason);
        throw new HttpError(400, 'invalid_request', reason);
      }
      throw err;
    }
  }

  /** Telemetry for the observability unit; takes effect from the next round. */
  async reportNetworkState(id: string, state: NetworkState): Promise<void> {
    const description = await this.describe(id);
    if (description.status.name !== 'RUNNING') throw conflict(`negotiation ${id} is not running`);
    await this.client.workflow.getHandle(id).signal(networkStateChangedSignal, state);
  }

  async withdrawParty(id: string, partyId: string, reason: string): Promise<void> {
    const description = await this.describe(id);
    if (description.status.name !== 'RUNNING') throw conflict(`negotiation ${id} is not running`);
    const state = await this.ask(id, () => this.client.workflow.getHandle(id).query(negotiationStateQuery));
    const active = state.activeParties ?? state.request.parties.map((p) => p.id);
    if (!active.includes(partyId)) throw notFound(`active party ${partyId} in ${id}`);
    await this.client.workflow.getHandle(id).signal(partyWithdrewSignal, { partyId, reason });
  }

  private checkSameRequest(existing: WorkflowExecutionDescription, requestHash: string): false {
    if (existing.memo?.requestSha256 !== requestHash) {
      throw conflict('this Idempotency-Key was already used with a different request body');
    }
    return false;
  }

  private async describeOrNull(id: string): Promise<WorkflowExecutionDescription | null> {
    try {
      return await this.client.workflow.getHandle(id).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  private async describe(id: string): Promise<WorkflowExecutionDescription> {
    const description = await this.describeOrNull(id);
    if (!description || description.type !== workflowType) throw notFound(`negotiation ${id}`);
    return description;
  }
}

/**
 * A negotiation the workflow itself could not close — terminated by an operator, or killed by its
 * run timeout (timeouts.negotiationRun) — still says `running` in its own state: report it failed,
 * with what happened to it.
 */
function withClosedStatus(state: NegotiationState, workflowStatus: string): NegotiationState {
  if (state.status !== 'running' || workflowStatus === 'RUNNING') return state;
  return { ...state, status: 'failed', reason: `workflow ${workflowStatus.toLowerCase().replace('_', ' ')}` };
}
