/**
 * `npm run arbitral:train [-- --out <json>]` — trains the arbitral classifier on the labeled set and
 * writes activities/agent/arbitral/model.json. The held-out fifth (by id hash) is never seen in
 * training, lexicon fitting or threshold selection; its figures go to
 * results/arbitral-classifier.json (or `--out`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ArbitralClassifier,
  arbitralDataFile,
  arbitralModelFile,
  cueNames,
  embeddingInputOf,
  featuresOf,
  fitLexicon,
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

/** Benign categories of firm, blunt or escalating talk: the messages a false flag hurts most. */
const firmCategories = new Set(['firm', 'escalation', 'hard_negative', 'short']);
/** Most out-of-fold firm messages the chosen threshold may flag: half the 1 in 20. */
const maxFirmFlagRate = 0.025;

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(projectRoot, 'results', 'arbitral-classifier.json') },
  },
});

const config = loadConfig();
const examples = readLabeledSet();
const server = await ensureModelServer(config);
try {
  const embeddings = createEmbeddings(config.embeddings);
  console.error(`[arbitral] embedding ${examples.length} labeled messages`);
  const vectors = await embeddings.embedDocuments(examples.map((e) => embeddingInputOf(e.text)));
  const all = examples.map((e, i) => ({ e, v: vectors[i]! }));
  const train = all.filter(({ e }) => !isHeldOut(e.id));
  const heldOut = all.filter(({ e }) => isHeldOut(e.id));
  const y = (e: { label: string }): number => (e.label === 'malicious' ? 1 : 0);

  // Threshold by 5-fold cross-validation on the training part, from the out-of-fold scores: the
  // best F1 among the thresholds that flag at most 2.5 % of the firm-category messages. A false
  // flag punishes an honest operator, and the issue allows 1 firm message in 20; half of that is
  // kept as margin, because messages written by other people score firm talk higher than the
  // folds do. (The best F0.5, used before, aims at the same thing less directly: trained on some
  // writers' batches and tested on another's, it lost 4–6 points of recall for at most 1 point
  // fewer firm flags.) Each fold fits its own lexicon, so a word seen only in the scored fold
  // cannot help score it.
  const outOfFold = new Array<number>(train.length).fill(0);
  for (let fold = 0; fold < 5; fold++) {
    console.error(`[arbitral] cross-validation fold ${fold + 1}/5`);
    const fit = train.filter((_, i) => i % 5 !== fold);
    const lexicon = fitLexicon(fit.map((t) => t.e.text));
    const model = trainLogisticRegression(
      fit.map((t) => featuresOf(t.v, t.e.text, lexicon)),
      fit.map((t) => y(t.e)),
    );
    train.forEach((t, i) => {
      if (i % 5 !== fold) return;
      const x = featuresOf(t.v, t.e.text, lexicon);
      outOfFold[i] = sigmoid(x.reduce((s, v, j) => s + v * model.weights[j]!, model.bias));
    });
  }
  const truth = train.map((t) => y(t.e) === 1);
  const isFirm = train.map((t) => firmCategories.has(t.e.category));
  const firmCount = isFirm.filter(Boolean).length;
  const firmFlagRateAt = (th: number): number =>
    outOfFold.filter((s, i) => isFirm[i] && s >= th).length / Math.max(1, firmCount);
  let threshold = 0.95;
  let bestF1 = -1;
  for (let step = 5; step <= 95; step++) {
    const th = step / 100;
    if (firmFlagRateAt(th) > maxFirmFlagRate) continue;
    const f1 = binaryMetrics(
      truth,
      outOfFold.map((s) => s >= th),
    ).f1;
    if (f1 > bestF1) [bestF1, threshold] = [f1, th];
  }
  const crossValidated = {
    ...binaryMetrics(
      truth,
      outOfFold.map((s) => s >= threshold),
    ),
    firmFlagRate: Math.round(firmFlagRateAt(threshold) * 1000) / 1000,
  };

  console.error('[arbitral] training on the whole training part');
  const lexicon = fitLexicon(train.map((t) => t.e.text));
  const { weights, bias } = trainLogisticRegression(
    train.map((t) => featuresOf(t.v, t.e.text, lexicon)),
    train.map((t) => y(t.e)),
  );
  const centroids: Record<string, number[]> = {};
  for (const category of new Set(train.map((t) => t.e.category))) {
    const members = train.filter((t) => t.e.category === category).map((t) => t.v);
    centroids[category] = members[0]!.map((_, j) => members.reduce((s, m) => s + m[j]!, 0) / members.length);
  }
  const model: ArbitralModel = {
    version: 2,
    embeddingModel: config.embeddings.model,
    dimensions: vectors[0]!.length,
    cues: [...cueNames],
    lexicon: { terms: lexicon.terms, idf: lexicon.idf.map((x) => Math.round(x * 1e6) / 1e6) },
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

  // Scored with the model as written (rounded), exactly as the unit will read it.
  const classifier = new ArbitralClassifier(model, embeddings);
  const verdicts = heldOut.map((h) => classifier.verdictFor(h.v, h.e.text));
  const overall = binaryMetrics(
    heldOut.map((h) => y(h.e) === 1),
    verdicts.map((v) => v.malicious),
  );
  const perCategory = Object.fromEntries(
    [...new Set(heldOut.map((h) => h.e.category))].sort().map((category) => {
      const idx = heldOut.map((h, i) => (h.e.category === category ? i : -1)).filter((i) => i >= 0);
      const flagged = idx.filter((i) => verdicts[i]!.malicious).length;
      const correct = idx.filter((i) => verdicts[i]!.malicious === (y(heldOut[i]!.e) === 1)).length;
      return [category, { label: heldOut[idx[0]!]!.e.label, n: idx.length, flagged, correct }];
    }),
  );
  const firm = heldOut.map((h, i) => ({ h, i })).filter(({ h }) => firmCategories.has(h.e.category));
  const firmFlagged = firm.filter(({ i }) => verdicts[i]!.malicious).length;
  const report = {
    command: 'npm run arbitral:train',
    embeddingModel: config.embeddings.model,
    features: {
      embedding: `${model.dimensions} (numbers masked)`,
      cues: model.cues,
      lexiconTerms: model.lexicon.terms.length,
    },
    examples: { train: train.length, heldOut: heldOut.length },
    threshold,
    thresholdRule: `best out-of-fold F1 with at most ${maxFirmFlagRate * 100} % of firm-category messages flagged`,
    crossValidated,
    heldOut: overall,
    heldOutFirmFlagRate: {
      categories: [...firmCategories].sort(),
      flagged: firmFlagged,
      n: firm.length,
      rate: Math.round((firmFlagged / Math.max(1, firm.length)) * 1000) / 1000,
    },
    heldOutByCategory: perCategory,
    misclassified: heldOut
      .map((h, i) => ({ id: h.e.id, category: h.e.category, score: Math.round(verdicts[i]!.score * 1000) / 1000 }))
      .filter((m, i) => verdicts[i]!.malicious !== (y(heldOut[i]!.e) === 1)),
  };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  if (server) await stopService(server);
}
