/**
 * Intents in Temporal terms. An intent lives in its cell's session workflow (the session is the
 * durable owner: intents survive restarts and are carried across continue-as-new). Writes are
 * workflow updates — the first intent on a cell starts its session (update-with-start) — and
 * reads are queries. Ownership is checked here and again in the workflow's update validators.
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { MaestroConfig } from '../../core/config.ts';
import type { ApprovalDecisionInput, ApprovalPolicy } from '../../core/intents/approval.ts';
import { checkIntentFeasibility, type IntentFeasibilityCheckReport } from '../../core/intents/feasibility.ts';
import {
  cellOfBody,
  intentBodySchema,
  MAX_PATCH_DEPTH,
  mergePatch,
  nestingDepth,
  type IntentBody,
  type IntentRecord,
} from '../../core/intents/schemas.ts';
import type { RanCell } from '../../core/network/contracts.ts';
import { cellCapacityMbps } from '../../core/network/slice-operator.ts';
import {
  cellSessionStateQuery,
  decideConsensusUpdate,
  deleteIntentUpdate,
  setApprovalPolicyUpdate,
  upsertIntentUpdate,
} from '../../workflows/cell-session/messages.ts';
import {
  defaultCellSessionPolicy,
  planningCqi,
  type CellSessionPolicy,
} from '../../workflows/cell-session/triggers.ts';
import type { CellSessionInput, CellSessionState, SessionIntent } from '../../workflows/cell-session/types.ts';
import { cellSessionIdOf } from '../../workflows/cell-session/ids.ts';
import { forbidden, type Principal } from '../auth.ts';
import { badRequest, conflict, HttpError, notFound } from '../errors.ts';
import { askWorker, defaultWorkerAnswerMs } from '../worker-call.ts';
import { intentReport, type IntentReport } from './reports.ts';
import type { IntentResource } from './schemas.ts';

export const intentIdPattern = /^i-[0-9a-f]{8}@([A-Za-z0-9._-]{1,64})$/;
const cellOfIntentId = (id: string): string | null => intentIdPattern.exec(id)?.[1] ?? null;

const toResource = (r: IntentRecord): IntentResource => ({
  id: r.id,
  href: `/v1/intents/${r.id}`,
  tenantId: r.tenantId,
  cellId: r.cellId,
  version: r.version,
  creationDate: r.creationDate,
  lastUpdate: r.lastUpdate,
  ...r.body,
});

/** The feasibility check at the channel of the cell's session: its last CQI, and the CQI its plans must survive. */
function feasibilityOn(cell: RanCell, body: IntentBody, state: CellSessionState | null): IntentFeasibilityCheckReport {
  const telemetry = state?.telemetry ?? [];
  const channel =
    telemetry.length === 0
      ? { currentCqi: null, predictedCqi: null }
      : { currentCqi: telemetry.at(-1)!.cqi, predictedCqi: planningCqi(telemetry, state!.policy.sustainReports) };
  return checkIntentFeasibility(body, cell, channel);
}

/** An infeasible intent is answered, not negotiated: 422 with the report. */
function refuseInfeasible(report: IntentFeasibilityCheckReport): void {
  if (report.feasibilityCheckResult === 'INFEASIBLE') {
    throw new HttpError(422, 'infeasible', report.infeasibilityReason ?? 'infeasible', {
      intentFeasibilityCheckReport: report,
    });
  }
}

export class IntentService {
  private readonly client: Client;
  private readonly config: MaestroConfig;
  private readonly cells: Map<string, RanCell>;
  private readonly policy: CellSessionPolicy;
  private readonly workerAnswerMs: number;
  private readonly twinCheck: CellSessionInput['twinCheck'];
  constructor(
    client: Client,
    config: MaestroConfig,
    cells: Map<string, RanCell>,
    options: {
      policy?: Partial<CellSessionPolicy>;
      workerAnswerMs?: number;
      /** Sessions this service starts check each plan on the twin before enforcing it. */
      twinCheck?: CellSessionInput['twinCheck'];
    } = {},
  ) {
    this.client = client;
    this.config = config;
    this.cells = cells;
    this.policy = { ...defaultCellSessionPolicy, ...options.policy };
    this.workerAnswerMs = options.workerAnswerMs ?? defaultWorkerAnswerMs;
    this.twinCheck = options.twinCheck;
  }

  /** A query or update of a cell's session, bounded (api/worker-call.ts). */
  private ask<T>(cellId: string, call: () => Promise<T>): Promise<T> {
    return askWorker(this.client, `the session of cell ${cellId}`, this.workerAnswerMs, call);
  }

  /** 28.312 feasibility of an intent body on its cell, at the channel the cell's session last saw. */
  async checkFeasibility(principal: Principal, body: IntentBody): Promise<IntentFeasibilityCheckReport> {
    if (principal.role !== 'bo') throw forbidden('intents belong to BO tenants; the operator reads and deletes them');
    const cell = this.cellOf(cellOfBody(body));
    return feasibilityOn(cell, body, await this.sessionStateOrNull(cell.cellId));
  }

  async create(principal: Principal, body: IntentBody): Promise<IntentResource> {
    if (principal.role !== 'bo') throw forbidden('intents belong to BO tenants; the operator reads and deletes them');
    const cell = this.cellOf(cellOfBody(body));
    const existing = await this.sessionStateOrNull(cell.cellId);
    refuseInfeasible(feasibilityOn(cell, body, existing));
    const mine = existing?.intents.find((i) => i.record.tenantId === principal.id);
    if (mine) throw conflict(`tenant ${principal.id} already has intent ${mine.record.id} on ${cell.cellId}; PATCH it`);
    const now = new Date().toISOString();
    const record: IntentRecord = {
      id: `i-${randomUUID().slice(0, 8)}@${cell.cellId}`,
      tenantId: principal.id,
      cellId: cell.cellId,
      version: 1,
      creationDate: now,
      lastUpdate: now,
      body,
    };
    await this.upsert(cell, { record, weight: principal.weight });
    return toResource(record);
  }

  async get(principal: Principal, id: string): Promise<IntentResource> {
    return toResource((await this.find(principal, id)).intent.record);
  }

  async list(principal: Principal, cellId?: string): Promise<IntentResource[]> {
    const cells = cellId ? [this.cellOf(cellId)] : [...this.cells.values()];
    const out: IntentResource[] = [];
    for (const cell of cells) {
      const state = await this.sessionStateOrNull(cell.cellId);
      for (const i of state?.intents ?? []) {
        if (principal.role === 'operator' || i.record.tenantId === principal.id) out.push(toResource(i.record));
      }
    }
    return out;
  }

  async patch(principal: Principal, id: string, patch: unknown): Promise<IntentResource> {
    const { intent, cell, state } = await this.find(principal, id);
    if (principal.role !== 'bo') throw forbidden('only the owning BO changes its intent');
    if (nestingDepth(patch) > MAX_PATCH_DEPTH) {
      throw badRequest(`the merge patch nests deeper than ${MAX_PATCH_DEPTH} levels`);
    }
    const merged = intentBodySchema.safeParse(mergePatch(intent.record.body, patch));
    if (!merged.success) throw merged.error;
    if (cellOfBody(merged.data) !== cell.cellId) {
      throw badRequest('an intent cannot move to another cell; delete it and create one there');
    }
    // Only a new target is checked: a label change must not fail because the channel is poor now.
    const targetOf = (b: IntentBody) => JSON.stringify(b.intentExpectations[0]!.expectationTargets[0]);
    if (targetOf(merged.data) !== targetOf(intent.record.body))
      refuseInfeasible(feasibilityOn(cell, merged.data, state));
    const record: IntentRecord = {
      ...intent.record,
      version: intent.record.version + 1,
      lastUpdate: new Date().toISOString(),
      body: merged.data,
    };
    await this.upsert(cell, { record, weight: intent.weight });
    return toResource(record);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const { intent, cell } = await this.find(principal, id);
    await this.ask(cell.cellId, () =>
      this.client.workflow
        .getHandle(cellSessionIdOf(cell.cellId))
        .executeUpdate(deleteIntentUpdate, { args: [{ intentId: id, tenantId: intent.record.tenantId }] }),
    );
  }

  async report(principal: Principal, id: string): Promise<IntentReport> {
    const { intent, state, cell } = await this.find(principal, id);
    return intentReport(intent, state, principal, feasibilityOn(cell, intent.record.body, state));
  }

  /** The session state of a cell, for the operator. */
  async session(cellId: string): Promise<CellSessionState> {
    const cell = this.cells.get(cellId);
    if (!cell) throw notFound(`cell ${cellId}`);
    const state = await this.sessionStateOrNull(cell.cellId);
    if (!state) throw notFound(`session of cell ${cellId}`);
    return state;
  }

  /** The operator's decision on the consensus waiting for approval; the session's validator may refuse it (409). */
  async decideConsensus(
    cellId: string,
    decision: ApprovalDecisionInput,
  ): Promise<{ negotiationId: string; decision: 'approve' | 'reject' }> {
    return this.updateSession(cellId, (handle) => handle.executeUpdate(decideConsensusUpdate, { args: [decision] }));
  }

  async setApprovalPolicy(cellId: string, rule: ApprovalPolicy): Promise<ApprovalPolicy> {
    return this.updateSession(cellId, (handle) => handle.executeUpdate(setApprovalPolicyUpdate, { args: [rule] }));
  }

  /** An update of an existing session: 404 without one, 409 with the validator's reason when it refuses. */
  private async updateSession<T>(
    cellId: string,
    call: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>,
  ): Promise<T> {
    if (!this.cells.has(cellId)) throw notFound(`cell ${cellId}`);
    try {
      return await this.ask(cellId, () => call(this.client.workflow.getHandle(cellSessionIdOf(cellId))));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`session of cell ${cellId}`);
      if (err instanceof WorkflowUpdateFailedError) {
        throw new HttpError(409, 'rejected', err.cause instanceof Error ? err.cause.message : err.message);
      }
      throw err;
    }
  }

  cellIds(): string[] {
    return [...this.cells.keys()];
  }

  private cellOf(cellId: string): RanCell {
    const cell = this.cells.get(cellId);
    if (!cell) throw badRequest(`unknown cell ${cellId}; known cells: ${[...this.cells.keys()].join(', ')}`);
    return cell;
  }

  /** The intent and its session; a BO asking for another tenant's intent gets 404, as for an unknown id. */
  private async find(
    principal: Principal,
    id: string,
  ): Promise<{ intent: SessionIntent; state: CellSessionState; cell: RanCell }> {
    const cellId = cellOfIntentId(id);
    const cell = cellId === null ? undefined : this.cells.get(cellId);
    if (!cell) throw notFound(`intent ${id}`);
    const state = await this.sessionStateOrNull(cell.cellId);
    const intent = state?.intents.find((i) => i.record.id === id);
    if (!state || !intent) throw notFound(`intent ${id}`);
    // Another tenant's intent answers as an unknown one: a BO cannot probe which intents exist.
    if (principal.role !== 'operator' && intent.record.tenantId !== principal.id) throw notFound(`intent ${id}`);
    return { intent, state, cell };
  }

  private async upsert(cell: RanCell, intent: SessionIntent): Promise<void> {
    const input: CellSessionInput = {
      cell,
      policy: this.policy,
      agentTurnTimeouts: this.config.topology.timeouts.agentTurn,
      cellBestMbps: Math.round(cellCapacityMbps(cell, 15) * 10) / 10,
      negotiationRunTimeout: this.config.topology.timeouts.negotiationRun,
      ...(this.twinCheck ? { twinCheck: this.twinCheck } : {}),
    };
    const start = new WithStartWorkflowOperation('cellSessionWorkflow', {
      workflowId: cellSessionIdOf(cell.cellId),
      taskQueue: this.config.topology.taskQueues.negotiation,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      await this.ask(cell.cellId, () =>
        this.client.workflow.executeUpdateWithStart(upsertIntentUpdate, {
          args: [intent],
          startWorkflowOperation: start,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause instanceof Error ? err.cause.message : err.message;
        throw new HttpError(reason.startsWith('stale version') ? 409 : 400, 'rejected', reason);
      }
      throw err;
    }
  }

  private async sessionStateOrNull(cellId: string): Promise<CellSessionState | null> {
    try {
      return await this.ask(cellId, () =>
        this.client.workflow.getHandle(cellSessionIdOf(cellId)).query(cellSessionStateQuery),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}
