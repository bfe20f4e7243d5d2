/**
 * `npm run histories:record`: runs a few negotiations on the real stack (own dev server, local
 * model) and writes their event histories to tests/histories/, where the replay test checks that
 * the current workflow code still replays them. Re-record only on purpose: a replay failure after
 * a workflow change means running workflows would break, which `patched()` exists to prevent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { projectRoot } from '../core/config.ts';
import type { negotiationWorkflow } from '../workflows/negotiation/workflow.ts';
import { changePartyTargetUpdate } from '../workflows/negotiation/messages.ts';
import { cellTopic, negotiationInput, negotiationWorker, partiesOf, startTemporal } from '../tests/helpers/stack.ts';
import { httpOk, startModelServer, stopService, waitUntil } from './services.ts';

const scenarios: { name: string; request: Record<string, unknown>; changeTarget?: boolean; cancel?: boolean }[] = [
  {
    name: 'two-party-soft',
    request: { topic: cellTopic, parties: partiesOf(2), maxRounds: 3, tolerance: 2, optimizerMode: 'soft' },
  },
  {
    name: 'three-party-hard-target-change',
    request: { topic: cellTopic, parties: partiesOf(3), maxRounds: 3, tolerance: 1, optimizerMode: 'hard' },
    changeTarget: true,
  },
  {
    name: 'two-party-off-no-consensus',
    request: { topic: cellTopic, parties: partiesOf(2), maxRounds: 2, tolerance: 0.01, optimizerMode: 'off' },
  },
  {
    name: 'cancelled',
    request: { topic: cellTopic, parties: partiesOf(2), maxRounds: 4, tolerance: 0.01, optimizerMode: 'soft' },
    cancel: true,
  },
];

const port = Number(process.env.MAESTRO_RECORD_MODEL_PORT ?? 18_001);
process.env.MODEL_SERVER_PORT = String(port);
const model = startModelServer(port);
const env = await startTemporal();
try {
  await waitUntil('the model server', httpOk(`http://127.0.0.1:${port}/v1/models`), 120_000, model);
  const outDir = path.join(projectRoot, 'tests', 'histories');
  mkdirSync(outDir, { recursive: true });
  const worker = await negotiationWorker(env, 'negotiation-record');
  await worker.runUntil(async () => {
    for (const scenario of scenarios) {
      const workflowId = `negotiation-history-${scenario.name}`;
      const handle = await env.client.workflow.start<typeof negotiationWorkflow>('negotiationWorkflow', {
        taskQueue: 'negotiation-record',
        workflowId,
        args: [negotiationInput(scenario.request)],
      });
      if (scenario.changeTarget)
        await handle.executeUpdate(changePartyTargetUpdate, { args: [{ partyId: 'bo-1', target: 45 }] });
      if (scenario.cancel) {
        await new Promise((r) => setTimeout(r, 1500));
        await handle.cancel();
      }
      const state = await handle.result();
      const history = await handle.fetchHistory();
      writeFileSync(path.join(outDir, `${scenario.name}.json`), historyToJSON(history));
      console.log(
        `${scenario.name}: ${state.status} after ${state.rounds.length} round(s), ${history.events?.length} events`,
      );
    }
  });
} finally {
  await env.teardown();
  await stopService(model);
}
