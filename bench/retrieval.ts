/**
 * `npm run bench:retrieval -- [--specs ../shared/corpus/3gpp-specs] [--skip-3gpp] [--k 5]`
 *
 * Retrieval quality of the regulatory index: for each question of bench/retrieval/*.jsonl, the
 * rank of the first passage from the section that answers it. Prints and writes recall@k and
 * MRR (over the top 10) for the project corpus and for the 3GPP folder to
 * results/retrieval-bench.json. The 3GPP index (~16.5k chunks) takes ~17 min to embed the first
 * time on two cores; later runs reuse it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { projectCorpus, sharedSpecsDir, specSource } from '../core/regulatory/sources.ts';
import {
  ingestCorpus,
  RegulatoryIndex,
  type CorpusSource,
  type RetrievedPassage,
} from '../core/regulatory/vector-index.ts';
import { ensureModelServer, stopService } from '../scripts/services.ts';

const { values: args } = parseArgs({
  options: {
    specs: { type: 'string', default: sharedSpecsDir },
    'skip-3gpp': { type: 'boolean', default: false },
    k: { type: 'string', default: '5' },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'retrieval-bench.json') },
  },
});
const k = Number(args.k);
const depth = 10;

const projectQuestion = z.object({ id: z.string(), question: z.string(), file: z.string(), section: z.string() });
const specQuestion = z.object({ id: z.string(), question: z.string(), file: z.string(), clause: z.string() });

function readJsonl<T>(file: string, schema: z.ZodType<T>): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => schema.parse(JSON.parse(l)));
}

interface Scored {
  id: string;
  question: string;
  rank: number | null;
  top: string;
}

function summarise(scored: Scored[]): { questions: number; recallAtK: number; mrr: number; k: number } {
  const recall = scored.filter((s) => s.rank !== null && s.rank <= k).length / scored.length;
  const mrr = scored.reduce((sum, s) => sum + (s.rank === null ? 0 : 1 / s.rank), 0) / scored.length;
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return { questions: scored.length, k, recallAtK: r3(recall), mrr: r3(mrr) };
}

async function evaluate<Q extends { id: string; question: string }>(
  index: RegulatoryIndex,
  questions: Q[],
  isAnswer: (q: Q, p: RetrievedPassage) => boolean,
): Promise<Scored[]> {
  const scored: Scored[] = [];
  for (const q of questions) {
    const passages = await index.query(q.question, depth);
    const hit = passages.findIndex((p) => isAnswer(q, p));
    scored.push({ id: q.id, question: q.question, rank: hit < 0 ? null : hit + 1, top: passages[0]?.source ?? '' });
  }
  return scored;
}

async function buildIndex(
  name: string,
  sources: CorpusSource[],
  indexDir: string,
  embeddings: ReturnType<typeof createEmbeddings>,
) {
  let last = 0;
  const report = await ingestCorpus({
    sources,
    indexDir,
    embeddings,
    embeddingModel: config.embeddings.model,
    onProgress: (p) => {
      if (p.action === 'embedded' && Date.now() - last > 5000) {
        last = Date.now();
        console.error(`[retrieval] ${name}: ${p.embeddedSoFar} chunks embedded (${p.file})`);
      }
    },
  });
  console.error(`[retrieval] ${name} index: ${JSON.stringify(report)}`);
  return { index: await RegulatoryIndex.load(indexDir, embeddings), report };
}

const config = loadConfig();
const server = await ensureModelServer(config);
try {
  const embeddings = createEmbeddings(config.embeddings);
  const results: Record<string, unknown> = {
    command: `npm run bench:retrieval${args['skip-3gpp'] ? ' -- --skip-3gpp' : ''}`,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' },
    embeddingModel: config.embeddings.model,
  };

  const project = await buildIndex('project', [projectCorpus], config.regulatoryIndexDir, embeddings);
  const projectQuestions = readJsonl(
    path.join(projectRoot, 'bench/retrieval/questions-project.jsonl'),
    projectQuestion,
  );
  const projectScored = await evaluate(
    project.index,
    projectQuestions,
    (q, p) => p.chunk.file.endsWith(`/${q.file}`) && (p.chunk.headings.at(-1) ?? '').includes(q.section),
  );
  results.project = { ...summarise(projectScored), chunks: project.report.chunks, perQuestion: projectScored };
  console.log(`project corpus: ${JSON.stringify(summarise(projectScored))}`);

  if (!args['skip-3gpp']) {
    const specs = await buildIndex(
      '3gpp',
      [specSource(args.specs)],
      path.join(projectRoot, 'data', 'regulatory-index-3gpp'),
      embeddings,
    );
    const specQuestions = readJsonl(path.join(projectRoot, 'bench/retrieval/questions-3gpp.jsonl'), specQuestion);
    const specScored = await evaluate(
      specs.index,
      specQuestions,
      (q, p) => p.chunk.file.endsWith(`/${q.file}`) && p.chunk.clause === q.clause,
    );
    results.specs = {
      ...summarise(specScored),
      chunks: specs.report.chunks,
      ingestSeconds: specs.report.seconds,
      perQuestion: specScored,
    };
    console.log(`3GPP folder: ${JSON.stringify(summarise(specScored))}`);
  }
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  if (server) await stopService(server);
}
