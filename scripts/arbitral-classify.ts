/**
 * `npm run arbitral:classify -- [--no-judge] "text"` — the arbitral unit's verdict on one message:
 * `{ "label": "benign" | "malicious", "score", "reasons", "decidedBy" }`.
 */
import { parseArgs } from 'node:util';
import { ArbitralClassifier } from '../activities/agent/arbitral/classifier.ts';
import { createArbitralDetector } from '../activities/agent/arbitral/unit.ts';
import { loadConfig } from '../core/config.ts';
import { createChatModel } from '../core/llm/chat-model.ts';
import { createEmbeddings } from '../core/llm/embeddings.ts';
import { ensureModelServer, stopService } from './services.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'no-judge': { type: 'boolean', default: false } },
});
const text = positionals.join(' ').trim();
if (text === '') {
  console.error('usage: npm run arbitral:classify -- [--no-judge] "message to classify"');
  process.exit(2);
}
const config = loadConfig();
const server = await ensureModelServer(config);
try {
  const classifier = ArbitralClassifier.fromFile(createEmbeddings(config.embeddings));
  const detector = createArbitralDetector(classifier, {
    judge: values['no-judge'] ? null : createChatModel(config.model),
  });
  const [decision] = await detector.classifyTexts([text]);
  const { label, score, reasons, decidedBy } = decision!;
  console.log(JSON.stringify({ label, score: Math.round(score * 1000) / 1000, reasons, decidedBy }, null, 2));
} finally {
  if (server) await stopService(server);
}
