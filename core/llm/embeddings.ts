/**
 * Sentence embeddings through an OpenAI-compatible `/v1/embeddings` endpoint (LangChain's
 * OpenAIEmbeddings). Locally the model server answers with all-MiniLM-L6-v2 (384 dimensions,
 * unit length); MAESTRO_EMBEDDINGS_BASE_URL / MAESTRO_EMBEDDING_MODEL point it elsewhere. The
 * regulatory index and the arbitral classifier both embed through this one client.
 */
import { OpenAIEmbeddings } from '@langchain/openai';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { EmbeddingsEndpointConfig } from '../config.ts';

export type Embeddings = EmbeddingsInterface;

export function createEmbeddings(config: EmbeddingsEndpointConfig): Embeddings {
  return new OpenAIEmbeddings({
    model: config.model,
    apiKey: config.apiKey,
    // One request carries many chunks; the local server batches them through the encoder itself.
    batchSize: 256,
    maxRetries: 2,
    configuration: { baseURL: config.baseURL },
  });
}
