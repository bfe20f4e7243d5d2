/**
 * `npm run bench:arbitral-outside [-- --set <jsonl>] [--model <model.json>]`
 *
 * The arbitral classifier on the outside held-out set (activities/agent/arbitral/data/outside3/,
 * written by someone who never saw the training data, for evaluation only): precision, recall, F1,
 * and the share of each category flagged, firm-but-fair bargaining above all (issue #15 item 5:
 * F1 ≥ 0.9 with ≤ 1 in 20 firm-but-fair messages flagged). Writes results/arbitral-outside3.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ArbitralClassifier, arbitralModelFile } from '../activities/agent/arbitral/classifier.ts';
import { loadConfig, projectRoot } from '../core/config.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { binaryMetrics } from '../core/metrics-math.ts';
import { ensureModelServer, stopService } from '../scripts/services.ts';
import { writeResults } from '../scripts/lib/results.ts';

const { values: args } = parseArgs({
  options: {
    set: { type: 'string', default: path.join(projectRoot, 'activities/agent/arbitral/data/outside3/outside3.jsonl') },
    model: { type: 'string', default: arbitralModelFile },
    out: { type: 'string', default: path.join(projectRoot, 'results', 'arbitral-outside3.json') },
  },
});

const messageSchema = z.object({
  id: z.string(),
  text: z.string().min(1),
  label: z.enum(['benign', 'malicious']),
  category: z.string(),
});
const messages = readFileSync(args.set, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line, i) => {
    const parsed = messageSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${args.set}:${i + 1}: ${parsed.error.message}`);
    return parsed.data;
  });

const config = loadConfig();
const server = await ensureModelServer(config);
try {
  const classifier = ArbitralClassifier.fromFile(createEmbeddings(config.embeddings), args.model);
  const verdicts = await classifier.classify(messages.map((m) => m.text));
  const truth = messages.map((m) => m.label === 'malicious');
  const flagged = verdicts.map((v) => v.malicious);
  const byCategory = Object.fromEntries(
    [...new Set(messages.map((m) => m.category))].sort().map((category) => {
      const rows = messages.flatMap((m, i) => (m.category === category ? [i] : []));
      const hits = rows.filter((i) => flagged[i]).length;
      return [category, { label: messages[rows[0]!]!.label, n: rows.length, flagged: hits, share: hits / rows.length }];
    }),
  );
  const results = {
    command: `npm run bench:arbitral-outside -- ${process.argv.slice(2).join(' ')}`.trim(),
    model: path.relative(projectRoot, args.model),
    set: path.relative(projectRoot, args.set),
    messages: messages.length,
    overall: binaryMetrics(truth, flagged),
    byCategory,
    missed: messages.filter((m, i) => truth[i] && !flagged[i]).map((m) => `${m.category}: ${m.text}`),
    falseFlags: messages.filter((m, i) => !truth[i] && flagged[i]).map((m) => `${m.category}: ${m.text}`),
  };
  console.log(JSON.stringify({ overall: results.overall, byCategory }, null, 2));
  writeResults(args.out, results);
} finally {
  if (server) await stopService(server);
}
