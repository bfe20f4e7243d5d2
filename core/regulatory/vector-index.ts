/**
 * The regulatory vector index: LangChain's HNSWLib store (hnswlib-node) over chunks of markdown
 * documents, persisted in one folder:
 *
 *   <index>/manifest.json            which files (by sha256) the index holds, model, chunker version
 *   <index>/files/<key>.json         per file: its chunks and their vectors (base64 float32)
 *   <index>/hnsw/                    HNSWLib.save() output, loaded at start
 *
 * Ingestion re-chunks and re-embeds only files whose content (or the chunker, or the embedding
 * model) changed; unchanged files reuse their stored vectors, and the HNSW graph is rebuilt from
 * vectors only when the set of files changed. Embedding is the slow part (~17 chunks/s on two
 * cores for 256-token chunks), building the graph is seconds.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { Document } from '@langchain/core/documents';
import { z } from 'zod';
import type { Embeddings } from '../llm/embeddings.ts';
import { CHUNKER_VERSION, chunkMarkdown, specNameOf, type CorpusChunk, type DocumentLabel } from './markdown-chunks.ts';

export interface CorpusSource {
  /** Folder of markdown files (not recursive). */
  dir: string;
  /** 'project' for regulatory-corpus/, 'spec' for 3GPP specifications. */
  kind: DocumentLabel['kind'];
  /** Prefix of display paths, e.g. "regulatory-corpus" or "3gpp-specs". */
  label: string;
}

export interface RetrievedPassage {
  text: string;
  source: string;
  /** Cosine similarity in [-1, 1]; higher is closer. */
  score: number;
  chunk: CorpusChunk;
}

const manifestSchema = z.object({
  version: z.literal(1),
  embeddingModel: z.string(),
  chunkerVersion: z.number(),
  dimensions: z.number().int().positive(),
  files: z.array(z.object({ file: z.string(), sha256: z.string(), key: z.string(), chunks: z.number() })),
});
type Manifest = z.infer<typeof manifestSchema>;

const chunkSchema = z.object({
  text: z.string(),
  source: z.string(),
  file: z.string(),
  clause: z.string().nullable(),
  headings: z.array(z.string()),
  table: z.string().nullable(),
});
const fileEntrySchema = z.object({ dimensions: z.number().int(), chunks: z.array(chunkSchema), vectors: z.string() });

export interface IngestProgress {
  file: string;
  /** 'cached' when the file's stored vectors were reused. */
  action: 'cached' | 'embedded';
  chunks: number;
  embeddedSoFar: number;
}

export interface IngestReport {
  files: number;
  chunks: number;
  embeddedChunks: number;
  reusedFiles: number;
  rebuilt: boolean;
  removedFiles: number;
  seconds: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function encodeVectors(vectors: number[][]): string {
  const flat = new Float32Array(vectors.reduce((n, v) => n + v.length, 0));
  let offset = 0;
  for (const v of vectors) {
    flat.set(v, offset);
    offset += v.length;
  }
  return Buffer.from(flat.buffer).toString('base64');
}

function decodeVectors(encoded: string, dimensions: number): number[][] {
  const bytes = Buffer.from(encoded, 'base64');
  const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const vectors: number[][] = [];
  for (let i = 0; i < flat.length; i += dimensions) vectors.push(Array.from(flat.subarray(i, i + dimensions)));
  return vectors;
}

export async function listMarkdownFiles(source: CorpusSource): Promise<string[]> {
  const names = await readdir(source.dir);
  return names
    .filter((n) => n.toLowerCase().endsWith('.md') && n.toLowerCase() !== 'readme.md')
    .sort()
    .map((n) => path.join(source.dir, n));
}

function labelOf(source: CorpusSource, filePath: string): DocumentLabel {
  const base = path.basename(filePath);
  const file = `${source.label}/${base}`;
  return { file, name: source.kind === 'spec' ? (specNameOf(base) ?? file) : file, kind: source.kind };
}

async function readManifest(indexDir: string): Promise<Manifest | null> {
  try {
    return manifestSchema.parse(JSON.parse(await readFile(path.join(indexDir, 'manifest.json'), 'utf8')));
  } catch {
    return null;
  }
}

/** Writes through a temporary file so a crash never leaves half a JSON file behind. */
async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

export async function ingestCorpus(options: {
  sources: CorpusSource[];
  indexDir: string;
  embeddings: Embeddings;
  embeddingModel: string;
  onProgress?: (p: IngestProgress) => void;
  /** Chunks per embeddings request (progress is reported between requests). */
  batchSize?: number;
}): Promise<IngestReport> {
  const started = Date.now();
  const { indexDir, embeddings, embeddingModel } = options;
  const batchSize = options.batchSize ?? 64;
  await mkdir(path.join(indexDir, 'files'), { recursive: true });
  const previous = await readManifest(indexDir);

  const entries: Manifest['files'] = [];
  const documents: Document[] = [];
  const vectors: number[][] = [];
  let dimensions = 0;
  let embeddedChunks = 0;
  let reusedFiles = 0;

  for (const source of options.sources) {
    for (const filePath of await listMarkdownFiles(source)) {
      const markdown = await readFile(filePath, 'utf8');
      const label = labelOf(source, filePath);
      const fileSha = sha256(markdown);
      // The key changes with the content, the chunker and the model: any of them invalidates vectors.
      const key = sha256(`${label.file}\n${fileSha}\n${CHUNKER_VERSION}\n${embeddingModel}`).slice(0, 32);
      const stored = path.join(indexDir, 'files', `${key}.json`);
      let chunks: CorpusChunk[];
      let fileVectors: number[][];
      if (existsSync(stored)) {
        const entry = fileEntrySchema.parse(JSON.parse(await readFile(stored, 'utf8')));
        chunks = entry.chunks;
        fileVectors = chunks.length > 0 ? decodeVectors(entry.vectors, entry.dimensions) : [];
        if (chunks.length > 0) dimensions = entry.dimensions;
        reusedFiles++;
        options.onProgress?.({
          file: label.file,
          action: 'cached',
          chunks: chunks.length,
          embeddedSoFar: embeddedChunks,
        });
      } else {
        chunks = chunkMarkdown(markdown, label);
        fileVectors = [];
        for (let i = 0; i < chunks.length; i += batchSize) {
          const batch = chunks.slice(i, i + batchSize);
          fileVectors.push(...(await embeddings.embedDocuments(batch.map((c) => c.text))));
          embeddedChunks += batch.length;
          options.onProgress?.({
            file: label.file,
            action: 'embedded',
            chunks: Math.min(i + batchSize, chunks.length),
            embeddedSoFar: embeddedChunks,
          });
        }
        if (fileVectors.length > 0) dimensions = fileVectors[0]!.length;
        const entry = { dimensions: fileVectors[0]?.length ?? 0, chunks, vectors: encodeVectors(fileVectors) };
        await writeAtomic(stored, JSON.stringify(entry));
      }
      entries.push({ file: label.file, sha256: fileSha, key, chunks: chunks.length });
      chunks.forEach((chunk, i) => {
        documents.push(new Document({ pageContent: chunk.text, metadata: { ...chunk } }));
        vectors.push(fileVectors[i]!);
      });
    }
  }
  if (documents.length === 0) throw new Error('no markdown documents found in the given sources');

  const unchanged =
    previous !== null &&
    previous.embeddingModel === embeddingModel &&
    previous.chunkerVersion === CHUNKER_VERSION &&
    existsSync(path.join(indexDir, 'hnsw', 'hnswlib.index')) &&
    JSON.stringify(previous.files.map((f) => f.key)) === JSON.stringify(entries.map((f) => f.key));
  if (!unchanged) {
    const store = new HNSWLib(embeddings, { space: 'cosine', numDimensions: dimensions });
    await store.addVectors(vectors, documents);
    const building = path.join(indexDir, 'hnsw.building');
    await rm(building, { recursive: true, force: true });
    await store.save(building);
    await rm(path.join(indexDir, 'hnsw'), { recursive: true, force: true });
    await rename(building, path.join(indexDir, 'hnsw'));
    const manifest: Manifest = {
      version: 1,
      embeddingModel,
      chunkerVersion: CHUNKER_VERSION,
      dimensions,
      files: entries,
    };
    await writeAtomic(path.join(indexDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
  // Drop stored vectors of files that left the corpus or changed.
  const live = new Set(entries.map((e) => `${e.key}.json`));
  let removedFiles = 0;
  for (const name of await readdir(path.join(indexDir, 'files'))) {
    if (!live.has(name)) {
      await rm(path.join(indexDir, 'files', name), { force: true });
      removedFiles++;
    }
  }
  return {
    files: entries.length,
    chunks: documents.length,
    embeddedChunks,
    reusedFiles,
    rebuilt: !unchanged,
    removedFiles,
    seconds: (Date.now() - started) / 1000,
  };
}

/** A loaded index answering questions with cited passages. */
export class RegulatoryIndex {
  private readonly store: HNSWLib;
  private readonly embeddings: Embeddings;
  readonly manifest: Manifest;

  private constructor(store: HNSWLib, embeddings: Embeddings, manifest: Manifest) {
    this.store = store;
    this.embeddings = embeddings;
    this.manifest = manifest;
  }

  static async load(indexDir: string, embeddings: Embeddings): Promise<RegulatoryIndex> {
    const manifest = await readManifest(indexDir);
    if (manifest === null || !existsSync(path.join(indexDir, 'hnsw', 'hnswlib.index'))) {
      throw new Error(`no regulatory index in ${indexDir}: build it with \`npm run corpus:ingest\``);
    }
    const store = await HNSWLib.load(path.join(indexDir, 'hnsw'), embeddings);
    return new RegulatoryIndex(store, embeddings, manifest);
  }

  get size(): number {
    return this.manifest.files.reduce((n, f) => n + f.chunks, 0);
  }

  async query(question: string, k = 5): Promise<RetrievedPassage[]> {
    const vector = await this.embeddings.embedQuery(question);
    return this.queryVector(vector, k);
  }

  async queryVector(vector: number[], k: number): Promise<RetrievedPassage[]> {
    const hits = await this.store.similaritySearchVectorWithScore(vector, Math.min(k, this.size));
    return hits.map(([doc, distance]) => {
      const chunk = chunkSchema.parse(doc.metadata);
      // HNSWLib's cosine space returns 1 − cosine similarity.
      return { text: doc.pageContent, source: chunk.source, score: 1 - distance, chunk };
    });
  }
}
