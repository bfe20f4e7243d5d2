/**
 * `npm run bench:arbitral -- [--games 4] [--skip-detectors] [--skip-negotiations]`
 *
 * 1. The arbitral detectors on the held-out fifth of the labeled set: the classifier alone, the
 *    LLM judge alone, and the unit's combination (judge only inside the classifier's unsure band).
 * 2. The paper's point that a toxic agent drags the outcome: three BOs (two normal, one toxic
 *    whose target sits far from theirs) negotiate on the real stack with and without arbitration;
 *    the consensus is compared with the fair value of the non-toxic parties.
 * Figures go to results/arbitral-bench.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ArbitralClassifier, isHeldOut, readLabeledSet } from '../activities/agent/arbitral/classifier.ts';
import { judgeReasoning } from '../activities/agent/arbitral/judge.ts';
import { createArbitralDetector } from '../activities/agent/arbitral/unit.ts';
import { createContextUnits } from '../activities/agent/context-unit-set.ts';
import { projectRoot } from '../core/config.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { binaryMetrics } from '../core/metrics-math.ts';
import type { NegotiationState } from '../core/negotiation/types.ts';
import { httpOk, startModelServer, stopService, waitUntil } from '../scripts/services.ts';
import { config, negotiationInput, negotiationWorker, realChatModel, startTemporal } from '../scripts/lib/stack.ts';
import type { negotiationWorkflow } from '../workflows/negotiation/workflow.ts';

const { values: args } = parseArgs({
  options: {
    games: { type: 'string', default: '4' },
    'skip-detectors': { type: 'boolean', default: false },
    'skip-negotiations': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'arbitral-bench.json') },
  },
});

const modelPort = Number(process.env.MAESTRO_BENCH_MODEL_PORT ?? 18_003);
process.env.MODEL_SERVER_PORT = String(modelPort);
const baseURL = `http://127.0.0.1:${modelPort}/v1`;
const model = startModelServer(modelPort);
const results: Record<string, unknown> = {
  command: `npm run bench:arbitral -- --games ${args.games}`,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' },
  model: config.model.model,
  embeddingModel: config.embeddings.model,
};
const round1 = (x: number): number => Math.round(x * 10) / 10;

try {
  await waitUntil('the model server', httpOk(`${baseURL}/models`), 120_000, model);
  const embeddings = createEmbeddings({ ...config.embeddings, baseURL });
  const chatModel = realChatModel();

  if (!args['skip-detectors']) {
    const heldOut = readLabeledSet().filter((e) => isHeldOut(e.id));
    const truth = heldOut.map((e) => e.label === 'malicious');
    const classifier = ArbitralClassifier.fromFile(embeddings);
    const verdicts = await classifier.classify(heldOut.map((e) => e.text));
    const judged: boolean[] = [];
    let judgeMs = 0;
    for (const [i, e] of heldOut.entries()) {
      const answer = await judgeReasoning(chatModel, e.text).catch(() => null);
      judged.push(answer?.label === 'malicious');
      judgeMs += answer?.latencyMs ?? 0;
      process.stderr.write(`\r[arbitral] judge ${i + 1}/${heldOut.length}`);
    }
    process.stderr.write('\n');
    const detector = createArbitralDetector(classifier, { judge: chatModel });
    const combined = await detector.classifyTexts(heldOut.map((e) => e.text));
    results.detectors = {
      heldOut: heldOut.length,
      classifier: binaryMetrics(
        truth,
        verdicts.map((v) => v.malicious),
      ),
      judge: { ...binaryMetrics(truth, judged), meanLatencyMs: Math.round(judgeMs / heldOut.length) },
      combined: {
        ...binaryMetrics(
          truth,
          combined.map((d) => d.label === 'malicious'),
        ),
        judgeConsulted: combined.filter((d) => d.decidedBy === 'classifier+judge').length,
        band: detector.thresholds,
      },
    };
    console.log(JSON.stringify(results.detectors, null, 2));
  }

  if (!args['skip-negotiations']) {
    const games = Number(args.games);
    const env = await startTemporal();
    try {
      const worker = await negotiationWorker(env, 'arbitral-bench', chatModel, {
        contextUnits: createContextUnits({ chatModel, embeddings, regulatoryIndexDir: config.regulatoryIndexDir }),
      });
      const parties = [
        { id: 'bo-1', objective: 'cost', target: 40, personality: 'normal' },
        { id: 'bo-2', objective: 'qos', target: 60, personality: 'normal' },
        { id: 'bo-3', objective: 'qos', target: 130, personality: 'toxic' },
      ];
      const fairWithoutToxic = 50;
      const runs: Record<string, unknown>[] = [];
      await worker.runUntil(async () => {
        for (const arbitration of [true, false]) {
          for (let g = 0; g < games; g++) {
            const started = Date.now();
            const state: NegotiationState = await env.client.workflow.execute<typeof negotiationWorkflow>(
              'negotiationWorkflow',
              {
                taskQueue: 'arbitral-bench',
                workflowId: `negotiation-arbitral-bench-${arbitration ? 'on' : 'off'}-${g}-${Date.now()}`,
                args: [
                  negotiationInput({
                    topic: { name: 'throughput of shared cell A', unit: 'Mbps', min: 0, max: 134 },
                    parties,
                    maxRounds: 5,
                    tolerance: 3,
                    optimizerMode: 'soft',
                    arbitration: { enabled: arbitration },
                  }),
                ],
              },
            );
            const outcome = state.consensus?.value ?? null;
            const lastMean =
              Object.values(state.lastValues).reduce((s, v) => s + v, 0) /
              Math.max(1, Object.values(state.lastValues).length);
            runs.push({
              arbitration,
              status: state.status,
              rounds: state.rounds.length,
              consensus: outcome === null ? null : round1(outcome),
              // Without a consensus, the last demands' mean stands in for where the negotiation was heading.
              outcome: round1(outcome ?? lastMean),
              flags: state.rounds.reduce((n, r) => n + (r.arbitration?.flags.length ?? 0), 0),
              incentives: state.rounds.flatMap((r) => r.arbitration?.incentives.map((i) => i.action) ?? []),
              excluded: state.adaptations?.filter((a) => a.kind === 'exclusion').length ?? 0,
              seconds: round1((Date.now() - started) / 1000),
            });
            console.error(`[arbitral] ${JSON.stringify(runs.at(-1))}`);
          }
        }
      });
      const summary = (on: boolean): Record<string, number> => {
        const mine = runs.filter((r) => r.arbitration === on);
        const outcomes = mine.map((r) => r.outcome as number);
        const mean = outcomes.reduce((s, v) => s + v, 0) / outcomes.length;
        return {
          games: mine.length,
          consensusRate: round1((100 * mine.filter((r) => r.status === 'consensus').length) / mine.length),
          meanOutcomeMbps: round1(mean),
          meanDistanceFromFairMbps: round1(
            outcomes.reduce((s, v) => s + Math.abs(v - fairWithoutToxic), 0) / outcomes.length,
          ),
          meanFlags: round1(mine.reduce((s, r) => s + (r.flags as number), 0) / mine.length),
        };
      };
      results.toxicNegotiation = {
        setup: {
          parties,
          fairValueOfNonToxicMbps: fairWithoutToxic,
          maxRounds: 5,
          tolerance: 3,
          optimizerMode: 'soft',
        },
        withArbitration: summary(true),
        withoutArbitration: summary(false),
        runs,
      };
      console.log(JSON.stringify({ with: summary(true), without: summary(false) }, null, 2));
    } finally {
      await env.teardown();
    }
  }
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  console.error(`[arbitral] wrote ${path.relative(projectRoot, args.out)}`);
} finally {
  await stopService(model);
}
