/**
 * `npm run corpus:ingest -- [--specs <dir>]... [--index <dir>] [--no-project]`
 *
 * Builds or refreshes the regulatory vector index from regulatory-corpus/ and any folder of 3GPP
 * specifications in markdown. Only changed files are re-embedded; an unchanged corpus costs a
 * second. Progress goes to stderr, the report (JSON) to stdout.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { projectCorpus, specSource } from '../core/regulatory/sources.ts';
import { ingestCorpus, type CorpusSource } from '../core/regulatory/vector-index.ts';
import { ensureModelServer, stopService } from '../scripts/services.ts';

const { values } = parseArgs({
  options: {
    specs: { type: 'string', multiple: true, default: [] },
    index: { type: 'string' },
    'no-project': { type: 'boolean', default: false },
  },
});
const config = loadConfig();
const indexDir = values.index ? path.resolve(projectRoot, values.index) : config.regulatoryIndexDir;
const sources: CorpusSource[] = [...(values['no-project'] ? [] : [projectCorpus]), ...values.specs.map(specSource)];
if (sources.length === 0) {
  console.error('nothing to ingest: give --specs <dir> or drop --no-project');
  process.exit(2);
}

const server = await ensureModelServer(config);
try {
  let lastLine = 0;
  const report = await ingestCorpus({
    sources,
    indexDir,
    embeddings: createEmbeddings(config.embeddings),
    embeddingModel: config.embeddings.model,
    onProgress: (p) => {
      if (p.action === 'cached') return;
      // One line every few seconds is enough to see it move on a 15-minute ingestion.
      if (Date.now() - lastLine < 3000) return;
      lastLine = Date.now();
      console.error(`[ingest] ${p.file}: ${p.chunks} chunks embedded (${p.embeddedSoFar} in this run)`);
    },
  });
  console.log(JSON.stringify({ indexDir: path.relative(projectRoot, indexDir), ...report }, null, 2));
} finally {
  if (server) await stopService(server);
}
