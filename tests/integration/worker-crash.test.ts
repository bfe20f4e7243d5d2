/**
 * Durability under `npm start`'s supervisor: the negotiation worker process is killed (SIGKILL)
 * mid-turn, the supervisor starts it again with backoff, and the negotiation finishes from its
 * history with no round lost or repeated and no turn scheduled twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { negotiationWorkflow } from '../../workflows/negotiation/workflow.ts';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import { Supervisor } from '../../scripts/lib/supervisor.ts';
import { startService } from '../../scripts/services.ts';
import { cellTopic, config, negotiationInput, partiesOf, startTemporal } from '../helpers/stack.ts';
import { freePort } from '../../scripts/lib/free-port.ts';

let env: TestWorkflowEnvironment;

before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('worker crash', () => {
  it('the supervisor restarts a killed worker and the negotiation finishes with every round and turn exactly once', async () => {
    const taskQueue = config.topology.taskQueues.negotiation;
    const workerEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: config.namespace,
      MAESTRO_LOG_LEVEL: 'WARN',
      // a port of its own: `npm start` beside the tests already holds the default 9464
      MAESTRO_METRICS_PORT: String(await freePort()),
    };
    const lines: string[] = [];
    const supervisor = new Supervisor({ initialBackoffMs: 500, log: (line) => lines.push(line) });
    supervisor.add('worker', () =>
      startService('worker', process.execPath, ['workers/negotiation-worker.ts'], workerEnv),
    );
    try {
      const handle = await env.client.workflow.start<typeof negotiationWorkflow>('negotiationWorkflow', {
        taskQueue,
        workflowId: `negotiation-crash-${Date.now()}`,
        args: [
          negotiationInput({
            topic: cellTopic,
            parties: partiesOf(3),
            maxRounds: 3,
            tolerance: 0.01,
            optimizerMode: 'off',
          }),
        ],
      });
      // Kill the worker while an agent turn runs on it (the server shows the activity as started).
      const deadline = Date.now() + 120_000;
      let killedDuring: string | null = null;
      while (Date.now() < deadline && killedDuring === null) {
        const { raw } = await handle.describe();
        const started = (raw.pendingActivities ?? []).find((a) => Number(a.state) === 2 /* STARTED */);
        if (started) killedDuring = started.activityType?.name ?? 'activity';
        else await sleep(50);
      }
      assert.ok(killedDuring, 'an agent turn started on the first worker');
      const first = supervisor.current('worker')!;
      first.child.kill('SIGKILL');
      await first.exited;

      // No replacement from the test: the supervisor's restart finishes it.
      const state: NegotiationState = await handle.result();
      const status = supervisor.status().worker!;
      assert.equal(status.restarts, 1, lines.join('\n'));
      assert.equal(status.state, 'running');
      assert.equal(status.lastExit?.signal, 'SIGKILL');
      assert.ok(supervisor.current('worker') !== first, 'a new worker process');
      const roundCount = state.rounds.length;
      assert.ok(['consensus', 'no_consensus'].includes(state.status));
      assert.deepEqual(
        state.rounds.map((r) => r.round),
        Array.from({ length: roundCount }, (_, i) => i + 1),
        'rounds 1..k, none lost or repeated',
      );

      // Every agent turn was scheduled exactly once per round; a turn lost with the worker is
      // retried as a new attempt of the same activity, not scheduled again.
      const history = await handle.fetchHistory();
      const scheduled = (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes)
        .map((e) => {
          const attrs = e.activityTaskScheduledEventAttributes!;
          const input = defaultPayloadConverter.fromPayload<{ round: number; party?: { id: string } }>(
            attrs.input!.payloads![0]!,
          );
          return `${attrs.activityType!.name}/${input.round}/${input.party?.id ?? 'maestro'}`;
        });
      assert.equal(new Set(scheduled).size, scheduled.length, `duplicates in ${scheduled.join(', ')}`);
      assert.equal(scheduled.length, roundCount * (3 + 1), 'k rounds × (3 BO turns + 1 mediator turn)');
      const retried = (history.events ?? []).filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
      assert.ok(retried.length >= 1, 'the turn lost with the killed worker ran again as a second attempt');
    } finally {
      await supervisor.stopAll();
    }
  });
});
