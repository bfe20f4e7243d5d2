/**
 * `npm run histories:record`: runs a few negotiations on the real stack (own dev server, local
 * model) and writes their event histories to tests/histories/, where the replay test checks that
 * the current workflow code still replays them. Re-record only on purpose: a replay failure after
 * a workflow change means running workflows would break, which `patched()` exists to prevent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createContextUnits } from '../activities/agent/context-unit-set.ts';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import type { NetworkState } from '../core/negotiation/types.ts';
import { projectCorpus } from '../core/regulatory/sources.ts';
import { ingestCorpus } from '../core/regulatory/vector-index.ts';
import type { NegotiationInput, negotiationWorkflow } from '../workflows/negotiation/workflow.ts';
import {
  changePartyTargetUpdate,
  negotiationStateQuery,
  networkStateChangedSignal,
} from '../workflows/negotiation/messages.ts';
import {
  cappedCellTopic,
  cellTopic,
  negotiationInput,
  negotiationWorker,
  partiesOf,
  realChatModel,
  startTemporal,
} from './lib/stack.ts';
import { httpOk, startModelServer, stopService, waitUntil } from './services.ts';

interface Scenario {
  name: string;
  request: Record<string, unknown>;
  changeTarget?: boolean;
  cancel?: boolean;
  /** Network state sent with the start (signalWithStart), and one sent after the first round. */
  network?: { atStart: NetworkState; afterFirstRound?: NetworkState };
}

const scenarios: Scenario[] = [
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
    // Recorded with the `mediator-previous-round` patch: MAESTRO's turns from round 2 carry the round before.
    name: 'three-party-off-previous-round',
    request: { topic: cellTopic, parties: partiesOf(3), maxRounds: 3, tolerance: 0.01, optimizerMode: 'off' },
  },
  {
    name: 'cancelled',
    request: { topic: cellTopic, parties: partiesOf(2), maxRounds: 4, tolerance: 0.01, optimizerMode: 'soft' },
    cancel: true,
  },
  {
    // All seven units: a cell topic (regulatory cap) and a toxic party (arbitral flags, incentives).
    name: 'toxic-arbitration-cell',
    request: {
      topic: cappedCellTopic,
      parties: [
        { id: 'bo-1', objective: 'cost', target: 40 },
        { id: 'bo-2', objective: 'qos', target: 60 },
        { id: 'bo-3', objective: 'qos', target: 130, personality: 'toxic' },
      ],
      maxRounds: 4,
      tolerance: 3,
      optimizerMode: 'soft',
    },
  },
  {
    name: 'capacity-adapt-halt',
    request: {
      topic: { ...cellTopic, min: 20 },
      parties: [
        { id: 'bo-1', objective: 'cost', target: 30 },
        { id: 'bo-2', objective: 'qos', target: 130, personality: 'disagreeable' },
      ],
      maxRounds: 6,
      tolerance: 1,
      optimizerMode: 'off',
    },
    network: {
      atStart: { capacityMbps: 80, cqi: 9, source: 'recording' },
      afterFirstRound: { capacityMbps: 12, cqi: 2, source: 'recording' },
    },
  },
];

const { values: args } = parseArgs({ options: { only: { type: 'string' } } });
const selected = args.only ? scenarios.filter((s) => args.only!.split(',').includes(s.name)) : scenarios;

const port = Number(process.env.MAESTRO_RECORD_MODEL_PORT ?? 18_001);
process.env.MODEL_SERVER_PORT = String(port);
const model = startModelServer(port);
const env = await startTemporal();
try {
  await waitUntil('the model server', httpOk(`http://127.0.0.1:${port}/v1/models`), 120_000, model);
  const outDir = path.join(projectRoot, 'tests', 'histories');
  mkdirSync(outDir, { recursive: true });
  const config = loadConfig();
  const embeddings = createEmbeddings(config.embeddings);
  const indexDir = path.join(projectRoot, 'data', 'regulatory-index-record');
  await ingestCorpus({ sources: [projectCorpus], indexDir, embeddings, embeddingModel: config.embeddings.model });
  const chatModel = realChatModel();
  const worker = await negotiationWorker(env, 'negotiation-record', chatModel, {
    contextUnits: createContextUnits({ chatModel, embeddings, regulatoryIndexDir: indexDir }),
  });
  await worker.runUntil(async () => {
    for (const scenario of selected) {
      const workflowId = `negotiation-history-${scenario.name}`;
      const options = {
        taskQueue: 'negotiation-record',
        workflowId,
        args: [negotiationInput(scenario.request)] as [NegotiationInput],
      };
      const handle = scenario.network
        ? await env.client.workflow.signalWithStart<typeof negotiationWorkflow, [NetworkState]>('negotiationWorkflow', {
            ...options,
            signal: networkStateChangedSignal,
            signalArgs: [scenario.network.atStart],
          })
        : await env.client.workflow.start<typeof negotiationWorkflow>('negotiationWorkflow', options);
      if (scenario.network?.afterFirstRound) {
        while ((await handle.query(negotiationStateQuery)).rounds.length < 1)
          await new Promise((r) => setTimeout(r, 200));
        await handle.signal(networkStateChangedSignal, scenario.network.afterFirstRound);
      }
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
