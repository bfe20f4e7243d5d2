/** The cell session's pure steps (workflows/cell-session/transitions.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { intentBodySchema } from '../../core/intents/schemas.ts';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import { referenceCell } from '../../core/network/slice-operator.ts';
import {
  a1Summary,
  agreedMbps,
  approvalOutcome,
  concludedSummary,
  negotiationKey,
  negotiationRequestFor,
  pendingApprovalFor,
  promisedMbps,
} from '../../workflows/cell-session/transitions.ts';
import { defaultCellSessionPolicy } from '../../workflows/cell-session/triggers.ts';
import type { NegotiationSummary, SessionIntent } from '../../workflows/cell-session/types.ts';

const intent = (tenantId: string, condition: string, mbps: number, floorMbps: number, weight = 1): SessionIntent => ({
  weight,
  record: {
    id: `i-00000000@${referenceCell.cellId}`,
    tenantId,
    cellId: referenceCell.cellId,
    version: 1,
    creationDate: '2026-01-01T00:00:00Z',
    lastUpdate: '2026-01-01T00:00:00Z',
    body: intentBodySchema.parse({
      userLabel: tenantId,
      intentExpectations: [
        {
          expectationId: 'cell-throughput',
          expectationObject: { objectType: 'RAN_SubNetwork', objectInstance: referenceCell.cellId },
          expectationTargets: [{ targetName: 'AveDLRANUEThpt', targetCondition: condition, targetValueRange: mbps }],
        },
      ],
      agent: { switchOffBelowMbps: floorMbps },
    }),
  },
});
const started: NegotiationSummary = {
  negotiationId: 'cell-session-x-n1',
  trigger: 'intent_conflict',
  startedAtS: 10,
  finishedAtS: null,
  status: null,
  valueMbps: null,
  decidedBy: null,
  rounds: 0,
  capMbps: 100,
  warned: [],
};
const policy = defaultCellSessionPolicy;

describe('cell session transitions', () => {
  it('negotiationKey changes with what the outcome depends on, not with the label', () => {
    const a = intent('bo-1', 'IS_GREATER_THAN', 80, 10);
    const relabelled: SessionIntent = { ...a, record: { ...a.record, body: { ...a.record.body, userLabel: 'other' } } };
    assert.equal(negotiationKey(relabelled), negotiationKey(a));
    assert.notEqual(negotiationKey({ ...a, weight: 2 }), negotiationKey(a));
    assert.notEqual(negotiationKey(intent('bo-1', 'IS_GREATER_THAN', 81, 10)), negotiationKey(a));
  });

  it('agreedMbps is the weighted mean of the targets, each capped at the cell’s best', () => {
    const intents = [intent('a', 'IS_GREATER_THAN', 200, 5, 1), intent('b', 'IS_LESS_THAN', 40, 5, 3)];
    assert.equal(agreedMbps(intents, 100), (100 * 1 + 40 * 3) / 4);
  });

  it('negotiationRequestFor ranges the topic from the lowest floor to the cap and clamps the targets into it', () => {
    const intents = [intent('a', 'IS_GREATER_THAN', 150, 10, 1), intent('b', 'IS_LESS_THAN', 5, 20, 2)];
    const planned = negotiationRequestFor(referenceCell, intents, 73.04, 131.5, policy);
    assert.ok(planned.request);
    assert.deepEqual([planned.capMbps, planned.floorMbps], [73, 10]);
    assert.deepEqual(planned.request.topic, {
      name: `downlink throughput of shared cell ${referenceCell.cellId}`,
      unit: 'Mbps',
      min: 10,
      max: 73,
    });
    assert.deepEqual(
      planned.request.parties.map((p) => [p.id, p.objective, p.target, p.weight]),
      [
        ['a', 'qos', 73, 1],
        ['b', 'cost', 10, 2],
      ],
    );
    assert.equal(planned.request.optimizerMode, policy.optimizerMode);
    const squeezed = negotiationRequestFor(referenceCell, intents, 13, 131.5, policy);
    assert.equal(squeezed.request, null, 'a cap within 2 tolerances of the floor leaves nothing to share');
  });

  it('concludedSummary: a consensus, MAESTRO’s proposal without one, nothing when the child failed', () => {
    const flagged = { arbitration: { flags: [{ partyId: 'b' }, { partyId: 'b' }] } };
    const result = {
      status: 'consensus',
      rounds: [flagged, {}],
      consensus: { value: 42, round: 2 },
      optimum: { value: 40 },
    } as unknown as NegotiationState;
    const won = concludedSummary(started, result, 30);
    assert.equal(won.valueMbps, 42);
    assert.deepEqual(
      [won.summary.status, won.summary.decidedBy, won.summary.rounds, won.summary.finishedAtS, won.summary.warned],
      ['consensus', 'consensus', 2, 30, ['b']],
    );
    const fallback = concludedSummary(started, { ...result, status: 'no_consensus', consensus: null }, 31);
    assert.deepEqual([fallback.valueMbps, fallback.summary.decidedBy], [40, 'mediator_fallback']);
    const failed = concludedSummary(started, null, 32);
    assert.deepEqual([failed.valueMbps, failed.summary.status, failed.summary.decidedBy], [null, 'failed', null]);
    assert.equal(started.finishedAtS, null, 'the running summary is not changed in place');
  });

  it('an approval waits timeoutS from when it was asked; its outcome keeps what was pending', () => {
    const askedAt = Date.parse('2026-12-03T10:00:00Z');
    const pending = pendingApprovalFor(
      { ...started, decidedBy: 'mediator_fallback' },
      55,
      { required: true, timeoutS: 90, onTimeout: 'reject' },
      askedAt,
    );
    assert.deepEqual(pending, {
      negotiationId: started.negotiationId,
      valueMbps: 55,
      decidedBy: 'mediator_fallback',
      requestedAt: '2026-12-03T10:00:00.000Z',
      deadline: '2026-12-03T10:01:30.000Z',
    });
    const outcome = approvalOutcome(pending, { decision: 'reject', by: 'timeout' }, askedAt + 90_000);
    assert.deepEqual(
      [outcome.decision, outcome.by, outcome.valueMbps, outcome.decidedAt],
      ['reject', 'timeout', 55, '2026-12-03T10:01:30.000Z'],
    );
  });

  it('promisedMbps sums the slices’ expected throughput; a1Summary names each policy’s status', () => {
    assert.equal(promisedMbps({ slices: [{ expectedMbps: 10 }, { expectedMbps: 22.5 }] as never }), 32.5);
    assert.equal(a1Summary(undefined), '');
    assert.equal(
      a1Summary({
        'c.a': { enforceStatus: 'ENFORCED' },
        'c.b': null,
        'c.c': { enforceStatus: 'NOT_ENFORCED', enforceReason: 'SCOPE_NOT_APPLICABLE' },
      }),
      ' — A1: c.a ENFORCED, c.b missing, c.c NOT_ENFORCED (SCOPE_NOT_APPLICABLE)',
    );
  });
});
