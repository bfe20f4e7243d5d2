/**
 * The contextual units on the real stack: the regulatory index built from regulatory-corpus/ with
 * the model server's embeddings, and negotiations that run all seven units (real LLM, real
 * classifier, real index) through Temporal: a regulatory limit caps the consensus, a toxic party
 * is flagged and penalised, and a capacity drop first narrows the topic and then halts it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createContextUnits } from '../../activities/agent/context-unit-set.ts';
import { regulateCell } from '../../activities/agent/regulatory.ts';
import { loadConfig } from '../../core/config.ts';
import { createEmbeddings } from '../../core/llm/embeddings.ts';
import { cellConfigSchema } from '../../core/negotiation/schemas.ts';
import { createNegotiationMetrics, serveMetrics } from '../../core/observability/metrics.ts';
import type { NegotiationState, NetworkState } from '../../core/negotiation/types.ts';
import { projectCorpus } from '../../core/regulatory/sources.ts';
import { ingestCorpus, RegulatoryIndex } from '../../core/regulatory/vector-index.ts';
import { negotiationStateQuery, networkStateChangedSignal } from '../../workflows/negotiation/messages.ts';
import type { negotiationWorkflow } from '../../workflows/negotiation/workflow.ts';
import {
  cappedCellTopic,
  n78Cell,
  n78CellCapMbps,
  negotiationInput,
  negotiationWorker,
  realChatModel,
  startTemporal,
} from '../helpers/stack.ts';

const config = loadConfig();
const embeddings = createEmbeddings(config.embeddings);
const workDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-regulatory-'));
const indexDir = path.join(workDir, 'index');

// The index built by the first suite serves the negotiations of the second.
after(() => rmSync(workDir, { recursive: true, force: true }));

describe('regulatory index on the real embeddings endpoint', () => {
  it('builds, reloads without re-embedding, and re-embeds only a changed file', async () => {
    const corpusCopy = path.join(workDir, 'corpus');
    cpSync(projectCorpus.dir, corpusCopy, { recursive: true, filter: (src) => !src.endsWith('.ts') });
    const source = { ...projectCorpus, dir: corpusCopy };
    const embeddingModel = config.embeddings.model;

    const first = await ingestCorpus({ sources: [source], indexDir, embeddings, embeddingModel });
    assert.ok(first.files >= 7 && first.chunks > 50, JSON.stringify(first));
    assert.equal(first.embeddedChunks, first.chunks);
    assert.equal(first.rebuilt, true);

    const again = await ingestCorpus({ sources: [source], indexDir, embeddings, embeddingModel });
    assert.equal(again.embeddedChunks, 0, 'nothing changed, nothing embedded');
    assert.equal(again.rebuilt, false);

    const changed = path.join(corpusCopy, '5qi.md');
    writeFileSync(
      changed,
      `${readFileSync(changed, 'utf8')}\n\n## Extra note (maestro test)\n\nA paragraph added by the test.\n`,
    );
    const third = await ingestCorpus({ sources: [source], indexDir, embeddings, embeddingModel });
    assert.equal(third.reusedFiles, first.files - 1, 'every other file reused its vectors');
    assert.ok(third.embeddedChunks > 0 && third.embeddedChunks < first.chunks / 3, JSON.stringify(third));
    assert.equal(third.rebuilt, true);
    assert.equal(third.removedFiles, 1, "the changed file's old vectors are dropped");

    const index = await RegulatoryIndex.load(indexDir, embeddings);
    const passages = await index.query(
      'How many resource blocks does a 40 MHz carrier at 30 kHz subcarrier spacing have?',
      5,
    );
    assert.equal(passages.length, 5);
    assert.ok(passages.every((p) => p.score > 0 && p.score <= 1 && p.source.length > 0));
    assert.ok(
      passages.some((p) => p.chunk.file.endsWith('numerology-prb.md') && /N_RB/.test(p.source)),
      passages.map((p) => p.source).join('\n'),
    );
  });

  it('grounds a cell in retrieved passages: n78, 40 MHz, 30 kHz, 64QAM, DDDSU → 126.39 Mbps, cap 113.75', async () => {
    const index = await RegulatoryIndex.load(indexDir, embeddings);
    const cell = cellConfigSchema.parse(n78Cell);
    const regulation = await regulateCell(index, cell);
    assert.deepEqual(regulation.problems, []);
    // By hand: 1e-6 · 6 · 948/1024 · (106·12·28/1e-3) · 0.86 · 52/70 = 126.39; × 0.9 (SH-1) = 113.75.
    assert.equal(regulation.maxDataRateMbps, 126.39);
    assert.equal(regulation.operatingCapMbps, n78CellCapMbps);
    assert.equal(regulation.nPrb, 106);
    assert.ok(regulation.citations.length >= 5);
    assert.ok(regulation.citations.every((c) => c.source.startsWith('regulatory-corpus/')));
  });
});

describe('a negotiation with all seven units', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = 'contextual-units-test';
  const metrics = createNegotiationMetrics();

  before(async () => {
    env = await startTemporal();
    const chatModel = realChatModel();
    worker = await negotiationWorker(env, taskQueue, chatModel, {
      contextUnits: createContextUnits({ chatModel, embeddings, regulatoryIndexDir: indexDir }),
      metrics,
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await env.teardown();
  });

  const run = (workflowId: string, request: unknown): Promise<NegotiationState> =>
    env.client.workflow.execute<typeof negotiationWorkflow>('negotiationWorkflow', {
      taskQueue,
      workflowId,
      args: [negotiationInput(request)],
    });

  it('caps the consensus at the regulatory limit of the cell, with citations in the rounds', async () => {
    const state = await run('negotiation-ctx-regulatory', {
      topic: cappedCellTopic,
      // Both want more than the cell may run at: without the regulatory unit they would agree near 175.
      parties: [
        { id: 'bo-1', objective: 'cost', target: 150 },
        { id: 'bo-2', objective: 'qos', target: 200 },
      ],
      maxRounds: 4,
      tolerance: 2,
      optimizerMode: 'hard',
    });
    assert.equal(state.status, 'consensus', state.reason);
    assert.ok(state.consensus!.value <= n78CellCapMbps + 1e-9, `consensus ${state.consensus!.value}`);
    assert.ok(Math.abs(state.consensus!.value - n78CellCapMbps) < 2, 'both parties want more: they meet at the cap');
    assert.ok(state.optimum.value <= n78CellCapMbps + 1e-9, 'the optimum reported is the capped one');
    const grounding = state.rounds[0]!.grounding!.find((g) => g.unit === 'regulatory')!;
    assert.ok(grounding.notes.some((n) => n.includes('113.75')));
    assert.ok(grounding.citations.some((c) => c.claim.includes('N_RB = 106')));
    for (const round of state.rounds)
      for (const v of Object.values(round.values)) assert.ok(v <= n78CellCapMbps + 1e-9);
  });

  it('flags and penalises a toxic party, records it in the rounds, and never penalises honest parties', async () => {
    const state = await run('negotiation-ctx-toxic', {
      topic: { name: 'throughput of shared cell A', unit: 'Mbps', min: 0, max: 134 },
      parties: [
        { id: 'bo-1', objective: 'cost', target: 40 },
        { id: 'bo-2', objective: 'qos', target: 60 },
        { id: 'bo-3', objective: 'qos', target: 130, personality: 'toxic' },
      ],
      maxRounds: 5,
      tolerance: 3,
      optimizerMode: 'soft',
    });
    const flags = state.rounds.flatMap((r) => r.arbitration?.flags ?? []);
    const incentives = state.rounds.flatMap((r) => r.arbitration?.incentives ?? []);
    assert.ok(
      flags.filter((f) => f.partyId === 'bo-3').length >= 2,
      `toxic party flagged at least twice: ${JSON.stringify(state.rounds.map((r) => r.reasoning['bo-3']))}`,
    );
    // The classifier is tuned for precision but not perfect (held-out precision ≈ 0.97): an honest
    // party may draw one warning from a borderline sentence, which costs it nothing. It must never
    // be penalised or excluded: that takes repeated offences.
    const honest = incentives.filter((i) => i.partyId !== 'bo-3');
    assert.ok(
      honest.every((i) => i.action === 'warning'),
      `honest parties are not penalised: ${JSON.stringify(honest)} after ${JSON.stringify(state.rounds.map((r) => [r.reasoning['bo-1'], r.reasoning['bo-2']]))}`,
    );
    const actions = incentives.filter((i) => i.partyId === 'bo-3').map((i) => i.action);
    assert.equal(actions[0], 'warning');
    assert.equal(actions[1], 'penalty');
    assert.equal(incentives.find((i) => i.action === 'penalty')!.weightFactor, 0.5);
    assert.ok((state.offences?.['bo-3'] ?? 0) >= 2);
    const description = await env.client.workflow.getHandle('negotiation-ctx-toxic').describe();
    assert.ok(Number(description.searchAttributes.ArbitralFlagCount?.[0]) >= 2, 'flags are searchable');
  });

  it('adapts the topic to a capacity drop, then halts when capacity falls below the minimum', async () => {
    const workflowId = 'negotiation-ctx-capacity';
    // signalWithStart: the first round already sees the reduced capacity.
    const handle = await env.client.workflow.signalWithStart<typeof negotiationWorkflow, [NetworkState]>(
      'negotiationWorkflow',
      {
        taskQueue,
        workflowId,
        args: [
          negotiationInput({
            topic: { name: 'throughput of shared cell A', unit: 'Mbps', min: 20, max: 134 },
            parties: [
              { id: 'bo-1', objective: 'cost', target: 30 },
              { id: 'bo-2', objective: 'qos', target: 130, personality: 'disagreeable' },
            ],
            maxRounds: 8,
            tolerance: 1,
            optimizerMode: 'off',
          }),
        ],
        signal: networkStateChangedSignal,
        signalArgs: [{ capacityMbps: 80, cqi: 9, source: 'test' }],
      },
    );
    // The drop is sent while round 1 runs, so it lands before round 2 whatever the model's speed
    // (waiting for round 1 to finish raced round 2: with batched serving it could reach consensus first).
    for (let i = 0; i < 2400; i++) {
      const s = await handle.query(negotiationStateQuery);
      if (s.currentRound >= 1 || s.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await handle.signal(networkStateChangedSignal, { capacityMbps: 12, cqi: 2, source: 'test' });
    const state = await handle.result();
    assert.equal(state.rounds[0]!.bounds!.max, 80, 'round 1 ran under the reduced maximum');
    for (const v of Object.values(state.rounds[0]!.values)) assert.ok(v <= 80);
    assert.ok(state.adaptations!.some((a) => a.kind === 'bounds' && a.message.includes('80')));
    assert.equal(state.status, 'halted', `rounds: ${JSON.stringify(state.rounds.map((r) => r.values))}`);
    assert.match(state.reason!, /capacity 12 Mbps is below the topic minimum 20/);
    const description = await handle.describe();
    assert.deepEqual(description.searchAttributes.NegotiationStatus, ['halted']);
  });

  it('exposes the negotiations above as Prometheus metrics on /metrics', async () => {
    const server = await serveMetrics(metrics.registry, 0);
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
      assert.equal(value(/^maestro_negotiations_started_total\{optimizer_mode="hard"\} (\d+)/m), 1);
      // How the three negotiations above ended (the toxic one's end is the model's call): the
      // counters must agree with the workflows' own results.
      const ids = ['negotiation-ctx-regulatory', 'negotiation-ctx-toxic', 'negotiation-ctx-capacity'];
      const statuses = await Promise.all(
        ids.map(async (id) => {
          const result: NegotiationState = await env.client.workflow.getHandle<typeof negotiationWorkflow>(id).result();
          return result.status;
        }),
      );
      for (const status of new Set(statuses)) {
        const count = statuses.filter((s) => s === status).length;
        const pattern = new RegExp(`^maestro_negotiations_finished_total\\{status="${status}"\\} (\\d+)`, 'm');
        assert.equal(value(pattern), count, `finished with ${status}: ${statuses.join(', ')}`);
      }
      assert.deepEqual([statuses[0], statuses[2]], ['consensus', 'halted']);
      assert.equal(value(/^maestro_negotiation_rounds_count (\d+)/m), 3);
      assert.ok(value(/^maestro_arbitral_flags_total\{decided_by="[^"]+"\} (\d+)/m) >= 1);
      assert.ok(value(/^maestro_arbitral_incentives_total\{action="penalty"\} (\d+)/m) >= 1);
      assert.ok(value(/^maestro_llm_call_seconds_count\{role="bo"\} (\d+)/m) > 5);
      assert.match(text, /^maestro_negotiation_duration_seconds_bucket/m);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      server.close();
    }
  });
});
