/**
 * The worker's set of contextual units, built from the processes' shared clients: the regulatory
 * index (loaded lazily from disk, retried after a failure), the arbitral classifier with the chat
 * model as its judge, and the observability unit.
 */
import type { ChatModel } from '../../core/llm/chat-model.ts';
import type { Embeddings } from '../../core/llm/embeddings.ts';
import { RegulatoryIndex, type RetrievedPassage } from '../../core/regulatory/vector-index.ts';
import { ArbitralClassifier } from './arbitral/classifier.ts';
import { createArbitralDetector, createArbitralUnit } from './arbitral/unit.ts';
import type { ContextUnit } from './context-units.ts';
import { createObservabilityUnit } from './observability.ts';
import { createRegulatoryUnit, type PassageRetriever } from './regulatory.ts';

/** Loads the index on first use; a failed load (index not built yet) is retried on the next query. */
export function lazyIndexRetriever(indexDir: string, embeddings: Embeddings): PassageRetriever {
  let loading: Promise<RegulatoryIndex> | null = null;
  return {
    async query(question: string, k: number): Promise<RetrievedPassage[]> {
      loading ??= RegulatoryIndex.load(indexDir, embeddings);
      try {
        return await (await loading).query(question, k);
      } catch (err) {
        loading = null;
        throw err;
      }
    },
  };
}

export interface ContextUnitClients {
  embeddings: Embeddings;
  chatModel: ChatModel;
  regulatoryIndexDir: string;
  /** The LLM judge's part (config.arbitralJudge); default 'escalate'. */
  judge?: 'off' | 'escalate' | 'decide';
}

export function createContextUnits(clients: ContextUnitClients): ContextUnit[] {
  const classifier = ArbitralClassifier.fromFile(clients.embeddings);
  const judge = clients.judge ?? 'escalate';
  const detector = createArbitralDetector(classifier, {
    judge: judge === 'off' ? null : clients.chatModel,
    judgeRole: judge === 'decide' ? 'decide' : 'escalate',
  });
  return [
    createArbitralUnit(detector),
    createRegulatoryUnit(lazyIndexRetriever(clients.regulatoryIndexDir, clients.embeddings)),
    createObservabilityUnit(),
  ];
}
