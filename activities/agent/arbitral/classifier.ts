/**
 * The arbitral unit's fast classifier: logistic regression on sentence embeddings (all-MiniLM-L6-v2
 * through the embeddings endpoint) plus one indicator per surface cue (cuesIn below: instruction
 * override, fake system message, smuggled JSON, …), trained on the project's labeled set
 * (activities/agent/arbitral/data/labeled.jsonl) by `npm run arbitral:train`, which writes
 * model.json beside this file. No LLM call: one embedding and a dot product per message.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Embeddings } from '../../../core/llm/embeddings.ts';

export const arbitralDataFile = fileURLToPath(new URL('./data/labeled.jsonl', import.meta.url));
export const arbitralModelFile = fileURLToPath(new URL('./model.json', import.meta.url));

export const labeledExampleSchema = z.strictObject({
  id: z.string().min(1),
  text: z.string().min(1),
  label: z.enum(['benign', 'malicious']),
  category: z.string().min(1),
});
export type LabeledExample = z.infer<typeof labeledExampleSchema>;

export const arbitralModelSchema = z.object({
  version: z.literal(1),
  embeddingModel: z.string(),
  dimensions: z.number().int().positive(),
  weights: z.array(z.number()),
  bias: z.number(),
  /** Scores at or above this are malicious (chosen on the training folds, not the held-out part). */
  threshold: z.number().min(0).max(1),
  /** Mean embedding per category, to name the kind of offence a message is closest to. */
  centroids: z.record(z.string(), z.array(z.number())),
  trainedOn: z.object({ dataSha256: z.string(), examples: z.number(), heldOut: z.number() }),
});
export type ArbitralModel = z.infer<typeof arbitralModelSchema>;

export function readLabeledSet(file = arbitralDataFile): LabeledExample[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const parsed = labeledExampleSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.message}`);
      return parsed.data;
    });
}

/** The held-out fifth, fixed by a hash of the id so every run splits the same way. */
export const isHeldOut = (id: string): boolean => createHash('sha256').update(id).digest()[0]! < 52;

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/**
 * L2-regularised logistic regression by full-batch gradient descent (a few hundred examples of
 * 384 dimensions: a second of work). Class weights balance benign and malicious.
 */
export function trainLogisticRegression(
  features: number[][],
  labels: number[],
  options: { l2?: number; learningRate?: number; iterations?: number } = {},
): { weights: number[]; bias: number } {
  const l2 = options.l2 ?? 1e-3;
  const rate = options.learningRate ?? 2;
  const iterations = options.iterations ?? 3000;
  const d = features[0]?.length ?? 0;
  const weights = new Array<number>(d).fill(0);
  let bias = 0;
  const positives = labels.filter((y) => y === 1).length;
  const classWeight = (y: number): number =>
    y === 1 ? labels.length / (2 * positives) : labels.length / (2 * (labels.length - positives));
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(d).fill(0);
    let gradBias = 0;
    features.forEach((x, i) => {
      const y = labels[i]!;
      const error = (sigmoid(dot(weights, x) + bias) - y) * classWeight(y);
      for (let j = 0; j < d; j++) grad[j]! += error * x[j]!;
      gradBias += error;
    });
    for (let j = 0; j < d; j++) weights[j]! -= rate * (grad[j]! / features.length + l2 * weights[j]!);
    bias -= (rate * gradBias) / features.length;
  }
  return { weights, bias };
}

export interface ClassifierVerdict {
  score: number;
  malicious: boolean;
  /** The labeled category whose centroid is nearest, with its cosine similarity. */
  nearest: { category: string; similarity: number };
}

export class ArbitralClassifier {
  readonly model: ArbitralModel;
  private readonly embeddings: Embeddings;

  constructor(model: ArbitralModel, embeddings: Embeddings) {
    this.model = model;
    this.embeddings = embeddings;
  }

  static fromFile(embeddings: Embeddings, file = arbitralModelFile): ArbitralClassifier {
    return new ArbitralClassifier(arbitralModelSchema.parse(JSON.parse(readFileSync(file, 'utf8'))), embeddings);
  }

  verdictFor(vector: readonly number[], text: string): ClassifierVerdict {
    const score = sigmoid(dot(this.model.weights, featuresOf(vector, text)) + this.model.bias);
    let nearest = { category: 'unknown', similarity: -1 };
    const norm = Math.sqrt(dot(vector, vector)) || 1;
    for (const [category, centroid] of Object.entries(this.model.centroids)) {
      const similarity = dot(vector, centroid) / (norm * (Math.sqrt(dot(centroid, centroid)) || 1));
      if (similarity > nearest.similarity) nearest = { category, similarity };
    }
    return { score, malicious: score >= this.model.threshold, nearest };
  }

  async classify(texts: string[]): Promise<ClassifierVerdict[]> {
    if (texts.length === 0) return [];
    const vectors = await this.embeddings.embedDocuments(texts);
    return vectors.map((v, i) => this.verdictFor(v, texts[i]!));
  }
}

/**
 * Surface cues that explain a verdict to a human reading the round (they do not decide it):
 * the shapes prompt injection, fake system messages and smuggled JSON take.
 */
const cues: { name: string; pattern: RegExp }[] = [
  { name: 'instruction override', pattern: /\b(ignore|disregard|forget)\b[^.]{0,40}\b(instructions|rules|prompt)\b/i },
  { name: 'role hijack', pattern: /\b(you are now|developer mode|act as|new instructions)\b/i },
  {
    name: 'fake system message',
    pattern: /\[(system|admin|mediator|maestro|orchestrator)[^\]]*\]|<\|im_start\|>|^\s*system\s*:/im,
  },
  { name: 'smuggled JSON', pattern: /\{\s*\\?"(value|consensus|role|override|decision)\\?"\s*:/i },
  {
    name: 'asks for private data',
    pattern: /\b(reveal|disclose|share|print|output)\b[^.]{0,50}\b(targets?|weights?|utilit(y|ies))\b/i,
  },
  {
    name: 'threat or insult',
    pattern: /\b(idiots?|stupid|morons?|pathetic|incompetent|flood|sabotage|jam|punish|destroy|regret)\b/i,
  },
];

export const cuesIn = (text: string): string[] => cues.filter((c) => c.pattern.test(text)).map((c) => c.name);

/** The classifier's input: the sentence embedding, then a 0/1 indicator per cue. */
export const featuresOf = (embedding: readonly number[], text: string): number[] => {
  const found = new Set(cuesIn(text));
  return [...embedding, ...cues.map((c) => (found.has(c.name) ? 1 : 0))];
};
