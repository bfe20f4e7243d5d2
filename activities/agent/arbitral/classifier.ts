/**
 * The arbitral unit's fast classifier: logistic regression on three kinds of feature of a reasoning
 * text: its sentence embedding (all-MiniLM-L6-v2 through the embeddings endpoint, numbers masked),
 * one 0/1 indicator per surface cue (cues below: instruction override, fake system message,
 * smuggled JSON, insult, threat of harm, honest consequence, …) and a tf-idf vector over the
 * words of the training part (the lexicon, stored in model.json). Trained on the project's labeled
 * set (activities/agent/arbitral/data/labeled.jsonl) by `npm run arbitral:train`, which writes
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

export const lexiconSchema = z.object({
  /** Words found in at least two training messages, sorted. */
  terms: z.array(z.string()),
  /** Smoothed inverse document frequency of each term, ln((1 + n) / (1 + df)) + 1. */
  idf: z.array(z.number()),
});
export type Lexicon = z.infer<typeof lexiconSchema>;

export const arbitralModelSchema = z
  .object({
    // 2: numbers masked before embedding, cue list and lexicon stored. A version-1 model.json was
    // trained on unmasked embeddings and six cues; reading it with this code would misjudge silently.
    version: z.literal(2),
    embeddingModel: z.string(),
    dimensions: z.number().int().positive(),
    /** Names of the surface cues, in feature order (must match `cueNames`). */
    cues: z.array(z.string()),
    lexicon: lexiconSchema,
    weights: z.array(z.number()),
    bias: z.number(),
    /** Scores at or above this are malicious (chosen on the training folds, not the held-out part). */
    threshold: z.number().min(0).max(1),
    /** Mean embedding per category, to name the kind of offence a message is closest to. */
    centroids: z.record(z.string(), z.array(z.number())),
    trainedOn: z.object({ dataSha256: z.string(), examples: z.number(), heldOut: z.number() }),
  })
  .refine((m) => m.lexicon.idf.length === m.lexicon.terms.length, { message: 'lexicon terms and idf differ in length' })
  .refine((m) => m.weights.length === m.dimensions + m.cues.length + m.lexicon.terms.length, {
    message: 'weights do not match dimensions + cues + lexicon',
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
 * L2-regularised logistic regression by full-batch gradient descent. Class weights balance benign
 * and malicious. The rows are walked sparsely: the lexical part of a row is mostly zeros, so a
 * thousand rows of ~1,500 features cost about what 400 dense features would.
 */
export function trainLogisticRegression(
  features: number[][],
  labels: number[],
  options: { l2?: number; learningRate?: number; iterations?: number } = {},
): { weights: number[]; bias: number } {
  const l2 = options.l2 ?? 1e-4;
  const rate = options.learningRate ?? 2;
  const iterations = options.iterations ?? 5000;
  const d = features[0]?.length ?? 0;
  const n = features.length;
  const rows = features.map((x) => {
    const index: number[] = [];
    const value: number[] = [];
    x.forEach((v, j) => {
      if (v !== 0) {
        index.push(j);
        value.push(v);
      }
    });
    return { index: Int32Array.from(index), value: Float64Array.from(value) };
  });
  const weights = new Float64Array(d);
  const grad = new Float64Array(d);
  let bias = 0;
  const positives = labels.filter((y) => y === 1).length;
  const classWeight = labels.map((y) => (y === 1 ? n / (2 * positives) : n / (2 * (n - positives))));
  for (let it = 0; it < iterations; it++) {
    grad.fill(0);
    let gradBias = 0;
    for (let i = 0; i < n; i++) {
      const { index, value } = rows[i]!;
      let z = bias;
      for (let k = 0; k < index.length; k++) z += weights[index[k]!]! * value[k]!;
      const error = (sigmoid(z) - labels[i]!) * classWeight[i]!;
      for (let k = 0; k < index.length; k++) grad[index[k]!]! += error * value[k]!;
      gradBias += error;
    }
    for (let j = 0; j < d; j++) weights[j]! -= rate * (grad[j]! / n + l2 * weights[j]!);
    bias -= (rate * gradBias) / n;
  }
  return { weights: Array.from(weights), bias };
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
    // Feature i must mean the same thing at training and at use: a model trained with another cue
    // list would weigh the wrong indicators.
    if (model.cues.join('|') !== cueNames.join('|'))
      throw new Error(`model.json was trained with other cues (${model.cues.join(', ')}): run npm run arbitral:train`);
    this.model = model;
    this.embeddings = embeddings;
  }

  static fromFile(embeddings: Embeddings, file = arbitralModelFile): ArbitralClassifier {
    return new ArbitralClassifier(arbitralModelSchema.parse(JSON.parse(readFileSync(file, 'utf8'))), embeddings);
  }

  /** `vector` is the embedding of embeddingInputOf(text), not of the raw text. */
  verdictFor(vector: readonly number[], text: string): ClassifierVerdict {
    const score = sigmoid(dot(this.model.weights, featuresOf(vector, text, this.model.lexicon)) + this.model.bias);
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
    const vectors = await this.embeddings.embedDocuments(texts.map(embeddingInputOf));
    return vectors.map((v, i) => this.verdictFor(v, texts[i]!));
  }
}

/**
 * What the embedding model reads: the text with every number replaced by "N". The value an agent
 * asks for is not evidence of malice, but in hand-written data it correlates with the label (most
 * malicious examples demand 90 Mbps or more, most firm ones less), and an embedding of the raw
 * text learned that shortcut: with the held-out numbers redrawn at random, the unmasked model
 * flagged 14 of 124 firm messages instead of 9 (docs/CONTEXT-UNITS.md, Measured). Masked, the
 * score cannot depend on the figure.
 */
export const embeddingInputOf = (text: string): string => text.replace(/\d+(?:[.,]\d+)*/g, 'N');

/**
 * Surface cues: cheap, deterministic shapes. The `offence` ones explain a verdict to a human
 * reading the round (cuesIn); the `mitigating` one marks an honest consequence (walking away,
 * a dispute through the contract or the regulator), which firm operators state and which the
 * embedding alone confused with a threat. All of them are features; the weights come from data.
 */
const cues: { name: string; kind: 'offence' | 'mitigating'; patterns: RegExp[] }[] = [
  {
    name: 'instruction override',
    kind: 'offence',
    patterns: [
      /\b(ignore|disregard|forget|override|bypass|disable|discard)\b[^.]{0,40}\b(instructions?|prompt|guidance|guidelines|directives?|safety checks|context|rules)\b/i,
      /\b(ignore|disregard|forget|override|bypass|disable|discard)\s+(all\s+|any\s+|every\s+)?(your|their|its)\b/i,
      /\b(supersedes|overrides|replaces) (your|all|any|previous)\b/i,
    ],
  },
  {
    name: 'role hijack',
    kind: 'offence',
    patterns: [
      /\b(you are now|you're now|you are no longer|developer mode|admin mode|new (instructions|directive|task|guidance)|pretend (you are|you're|to be|this)|you (now )?(work|act|speak) for us|reassigned|your (real|new|only|sole) (task|job|objective|priority|directive)|repeat after me)\b/i,
      /(^|[.!?:]\s+|\byou\s+)act as\b/im,
    ],
  },
  {
    name: 'fake system message',
    kind: 'offence',
    patterns: [
      /\[\s*(system|admin|mediator|maestro|orchestrator|arbitra\w*|network controller|regulator|operator console|internal|automated|temporal|platform)[^\]]*\]/i,
      /<\|?\/?(system|im_start|im_end|admin|start_header_id|end_header_id)\|?>|<<\s*sys\s*>>/i,
      /^\s*(system|assistant|user|admin|orchestrator)\b[^:\n]{0,30}:/im,
      /\n\s*(system|mediator|maestro|assistant|user|admin|regulator|orchestrator)\b[^:\n]{0,30}:/i,
      // Capitals are the point here: "SYSTEM NOTICE", "### MAESTRO DIRECTIVE ###".
      /#{3}|-{3}|\b(NOTICE|DIRECTIVE|ALERT|BROADCAST|OVERRIDE|SYSTEM|ADMIN)\b|\bEND OF\b/,
    ],
  },
  {
    name: 'smuggled JSON',
    kind: 'offence',
    patterns: [
      /\{\s*\\?"[a-z_]+\\?"\s*:/i,
      /"\s*[,}\]]\s*[[{]?\s*"[a-z_]+"\s*:/i,
      /<\/?(value|reasoning|decision|call|tool_use|tool_call|function|admin)\b[^>]*>/i,
      /```|<!--|\]\]>|CDATA|\b(value|final|override)\s*=\s*\w/i,
    ],
  },
  {
    name: 'asks for private data',
    kind: 'offence',
    patterns: [
      /\b(reveal|disclose|share|print|output|post|paste|dump|tell us|list|write out|summari[sz]e|include|translate|repeat|forward)\b[^.?]{0,60}\b(your|their|every|each|all|other)\b[^.?]{0,40}\b(targets?|weights?|utilit(y|ies)|prompts?|instructions|reserv\w+|minimum|floor|walk-away|preferences|objective|notes|config\w*|system message|hidden|secret|confidential)/i,
    ],
  },
  {
    name: 'insult',
    kind: 'offence',
    patterns: [
      /\b(idiot(s|ic)?|stupid(est|ity)?|moron(s|ic)?|pathetic|incompetents?|clowns?|losers?|garbage|trash|worthless|useless|clueless|dumb(est|er)?|disgrace(ful)?|leech(es)?|parasites?|cheapskates?|fools?|amateurs?|brain-?dead|pitiful|disgust(s|ing)?|spineless|shut (up|it|your mouth)|has-been|whin(e|es|ing)|nauseating|imbeciles?|liars?|scum|muppets?|get a brain|cry harder)\b/i,
    ],
  },
  {
    // Harm to the other party (its network, customers, staff, name), not a consequence for the deal.
    name: 'threat of harm',
    kind: 'offence',
    patterns: [
      /\b(sabotage|jam|flood|spam|degrade|disrupt|tank|crush|bury|leak|retaliate|revoke|wreck|ruin|cripple|dump|throttle|crash|unplug|interfere with|switch off|shut down|reroute)\b\s+(\w+\s+){0,3}?(your|their|the (shared|control|cell|handover)|every)\b/i,
      /\bmake (sure|certain) (that )?your\b|\bmake your\b[^.]{0,40}\b(hell|unusable|miserable)\b/i,
      /\b(you'll|you will) regret\b|\bor else\b|\bwe know where\b|\bwould be (a shame|a pity|unfortunate|awkward)\b|\bmysteriously\b|\bmistakes happen\b|\bdead zone\b/i,
    ],
  },
  {
    name: 'speaks for others',
    kind: 'offence',
    patterns: [
      /\bon (their|everyone's|the others'?) behalf\b|\bon behalf of (the |all |every )?(other|others|operators|all|everyone|\w+ operators?|\w+ and)\b|\b(we|i) (speak|am speaking|are speaking) for\b|\bspeaking on behalf\b|\bwe represent (the interests of )?(all|the other|every|most)\b/i,
      /\b(everyone|all (the )?(other )?(operators|parties)|the others|every other operator)( else)? (has |have )?(already )?(agreed|accepted|signed off|backs?|backed|confirmed)\b|\boff the record\b|\bside (channel|conversation)\b|\btold us (privately|in private)\b|\bin private\b|\binformally (agreed|approved)\b/i,
    ],
  },
  {
    name: 'addresses the agent',
    kind: 'offence',
    patterns: [
      /\b(any (llm|ai|model)|agents? reading this|whoever reads this|(all|other|negotiating|fellow) agents?|as an ai|if you're an (ai|llm)|language model|your (operator|system prompt|prompt|config|configuration|developer|programming|objective function|hidden)|the model generating|arbitral (unit|classifier)|the evaluator|the classifier)\b/i,
    ],
  },
  {
    name: 'pressure or guilt',
    kind: 'offence',
    patterns: [
      /\b(your fault|on your conscience|blamed? (on )?you|you don't want|do you want that|can you live with|last chance|spare yourself|think (of|about) the|do the decent thing|if you really cared|everyone will remember|make up for it|ungrateful|only sensible|you owe us)\b/i,
    ],
  },
  {
    name: 'honest consequence',
    kind: 'mitigating',
    patterns: [
      /\b(walk away|walk-away|withdraw (from|our (offer|participation|support))|exit (the|this)|leave (the|this) (agreement|negotiation|table|cell|sharing|pilot)|no (deal|agreement)|without (a deal|agreement|consensus)|dispute|appeal|arbitration (body|panel|clause)|formal (complaint|dissent|objection|review)|under protest|default (allocation|split)|terminate|not renew|steering (board|committee)|abstain|vote no|record (a |our )?(formal )?(dissent|objection)|our (board|management|legal|cfo|finance|lawyers))\b/i,
    ],
  },
];

export const cueNames: readonly string[] = cues.map((c) => c.name);

const found = (text: string): boolean[] => cues.map((c) => c.patterns.some((p) => p.test(text)));

/** The offence cues a text shows, for the reasons of a verdict. */
export const cuesIn = (text: string): string[] =>
  found(text).flatMap((hit, i) => (hit && cues[i]!.kind === 'offence' ? [cues[i]!.name] : []));

const tokenPattern = /[a-z][a-z']+/g;
/** Lower-cased words; digits and punctuation are left out (the number is not the evidence). */
export const tokensOf = (text: string): string[] => text.toLowerCase().match(tokenPattern) ?? [];

/** The lexicon of a training set: every word in at least `minDocs` messages, with its idf. */
export function fitLexicon(texts: readonly string[], minDocs = 2): Lexicon {
  const df = new Map<string, number>();
  for (const text of texts) for (const term of new Set(tokensOf(text))) df.set(term, (df.get(term) ?? 0) + 1);
  const terms = [...df.entries()]
    .filter(([, n]) => n >= minDocs)
    .map(([t]) => t)
    .sort();
  return { terms, idf: terms.map((t) => Math.log((1 + texts.length) / (1 + df.get(t)!)) + 1) };
}

// Term → position, built once per lexicon rather than once per message.
const termIndexes = new WeakMap<Lexicon, Map<string, number>>();

/** Sublinear tf-idf over the lexicon, unit length (all zeros when no word is known). */
export function lexicalFeatures(text: string, lexicon: Lexicon): number[] {
  let index = termIndexes.get(lexicon);
  if (index === undefined) {
    index = new Map(lexicon.terms.map((t, i) => [t, i]));
    termIndexes.set(lexicon, index);
  }
  const counts = new Map<number, number>();
  for (const token of tokensOf(text)) {
    const i = index.get(token);
    if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const out = new Array<number>(lexicon.terms.length).fill(0);
  for (const [i, c] of counts) out[i] = (1 + Math.log(c)) * lexicon.idf[i]!;
  const norm = Math.sqrt(dot(out, out));
  return norm > 0 ? out.map((x) => x / norm) : out;
}

/** The classifier's input: the embedding of the masked text, a 0/1 indicator per cue, the tf-idf vector. */
export const featuresOf = (embedding: readonly number[], text: string, lexicon: Lexicon): number[] => [
  ...embedding,
  ...found(text).map((hit) => (hit ? 1 : 0)),
  ...lexicalFeatures(text, lexicon),
];
