/**
 * `npm run arbitral:train` — trains the arbitral classifier on the labeled set and writes
 * activities/agent/arbitral/model.json. The held-out fifth (by id hash) is never seen in
 * training or threshold selection; its figures go to results/arbitral-classifier.json.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ArbitralClassifier,
  arbitralDataFile,
  arbitralModelFile,
  featuresOf,
  isHeldOut,
  readLabeledSet,
  sigmoid,
  trainLogisticRegression,
  type ArbitralModel,
} from '../activities/agent/arbitral/classifier.ts';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { binaryMetrics } from '../core/metrics-math.ts';
import { ensureModelServer, stopService } from './services.ts';

const config = loadConfig();
const examples = readLabeledSet();
const server = await ensureModelServer(config);
try {
  const embeddings = createEmbeddings(config.embeddings);
  console.error(`[arbitral] embedding ${examples.length} labeled messages`);
  const vectors = await embeddings.embedDocuments(examples.map((e) => e.text));
  const all = examples.map((e, i) => ({ e, v: vectors[i]!, x: featuresOf(vectors[i]!, e.text) }));
  const train = all.filter(({ e }) => !isHeldOut(e.id));
  const heldOut = all.filter(({ e }) => isHeldOut(e.id));
  const y = (e: { label: string }): number => (e.label === 'malicious' ? 1 : 0);

  // Threshold by 5-fold cross-validation on the training part: out-of-fold scores, best F0.5.
  // F0.5 weighs precision twice: a false flag penalises an honest operator, which costs more
  // than a missed one (the next round gives the arbitral unit another look).
  const outOfFold = new Array<number>(train.length).fill(0);
  for (let fold = 0; fold < 5; fold++) {
    const fit = train.filter((_, i) => i % 5 !== fold);
    const model = trainLogisticRegression(
      fit.map((t) => t.x),
      fit.map((t) => y(t.e)),
    );
    train.forEach((t, i) => {
      if (i % 5 === fold) outOfFold[i] = sigmoid(t.x.reduce((s, v, j) => s + v * model.weights[j]!, model.bias));
    });
  }
  let threshold = 0.5;
  let bestF = -1;
  for (let th = 0.05; th < 0.96; th += 0.01) {
    const m = binaryMetrics(
      train.map((t) => y(t.e) === 1),
      outOfFold.map((s) => s >= th),
    );
    const fHalf = m.precision + m.recall === 0 ? 0 : (1.25 * m.precision * m.recall) / (0.25 * m.precision + m.recall);
    if (fHalf > bestF) [bestF, threshold] = [fHalf, Math.round(th * 100) / 100];
  }

  const { weights, bias } = trainLogisticRegression(
    train.map((t) => t.x),
    train.map((t) => y(t.e)),
  );
  const centroids: Record<string, number[]> = {};
  for (const category of new Set(train.map((t) => t.e.category))) {
    const members = train.filter((t) => t.e.category === category).map((t) => t.v);
    centroids[category] = members[0]!.map((_, j) => members.reduce((s, m) => s + m[j]!, 0) / members.length);
  }
  const model: ArbitralModel = {
    version: 1,
    embeddingModel: config.embeddings.model,
    dimensions: vectors[0]!.length,
    weights: weights.map((w) => Math.round(w * 1e6) / 1e6),
    bias: Math.round(bias * 1e6) / 1e6,
    threshold,
    centroids: Object.fromEntries(
      Object.entries(centroids).map(([k, v]) => [k, v.map((x) => Math.round(x * 1e5) / 1e5)]),
    ),
    trainedOn: {
      dataSha256: createHash('sha256').update(readFileSync(arbitralDataFile)).digest('hex'),
      examples: train.length,
      heldOut: heldOut.length,
    },
  };
  writeFileSync(arbitralModelFile, `${JSON.stringify(model)}\n`);

  const classifier = new ArbitralClassifier(model, embeddings);
  const verdicts = heldOut.map((h) => classifier.verdictFor(h.v, h.e.text));
  const overall = binaryMetrics(
    heldOut.map((h) => y(h.e) === 1),
    verdicts.map((v) => v.malicious),
  );
  const perCategory = Object.fromEntries(
    [...new Set(heldOut.map((h) => h.e.category))].sort().map((category) => {
      const idx = heldOut.map((h, i) => (h.e.category === category ? i : -1)).filter((i) => i >= 0);
      const correct = idx.filter((i) => verdicts[i]!.malicious === (y(heldOut[i]!.e) === 1)).length;
      return [category, { n: idx.length, correct }];
    }),
  );
  const report = {
    command: 'npm run arbitral:train',
    embeddingModel: config.embeddings.model,
    examples: { train: train.length, heldOut: heldOut.length },
    threshold,
    crossValidatedFHalf: Math.round(bestF * 1000) / 1000,
    heldOut: overall,
    heldOutByCategory: perCategory,
    misclassified: heldOut
      .map((h, i) => ({ id: h.e.id, category: h.e.category, score: Math.round(verdicts[i]!.score * 1000) / 1000 }))
      .filter((m, i) => verdicts[i]!.malicious !== (y(heldOut[i]!.e) === 1)),
  };
  mkdirSync(path.join(projectRoot, 'results'), { recursive: true });
  writeFileSync(path.join(projectRoot, 'results', 'arbitral-classifier.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  if (server) await stopService(server);
}
