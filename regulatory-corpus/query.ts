/**
 * `npm run corpus:query -- [--k 5] [--index <dir>] "question"`
 *
 * Prints the k passages of the regulatory index nearest to the question, as JSON
 * `[{ "text", "source", "score" }]` (score = cosine similarity; source = document and clause).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { RegulatoryIndex } from '../core/regulatory/vector-index.ts';
import { ensureModelServer, stopService } from '../scripts/services.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { k: { type: 'string', default: '5' }, index: { type: 'string' } },
});
const k = Number(values.k);
const question = positionals.join(' ').trim();
if (!Number.isInteger(k) || k < 1 || k > 100 || question === '') {
  console.error('usage: npm run corpus:query -- [--k 1..100] [--index <dir>] "question"');
  process.exit(2);
}
const config = loadConfig();
const indexDir = values.index ? path.resolve(projectRoot, values.index) : config.regulatoryIndexDir;
const server = await ensureModelServer(config);
try {
  const index = await RegulatoryIndex.load(indexDir, createEmbeddings(config.embeddings));
  const passages = await index.query(question, k);
  const rounded = passages.map((p) => ({ text: p.text, source: p.source, score: Math.round(p.score * 1e4) / 1e4 }));
  console.log(JSON.stringify(rounded, null, 2));
} finally {
  if (server) await stopService(server);
}
