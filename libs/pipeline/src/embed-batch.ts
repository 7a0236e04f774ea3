import type { EmbeddingRow } from '@vectorizer/store';
import type { PipelineMetrics } from '@vectorizer/telemetry';
import { isConnectionError } from './connection-errors';
import { DependencyUnavailableError } from './errors';
import type { PreparedImage } from './prepare-image';

/** The part of the Embedder the pipeline uses (tests wrap it to count calls). */
export interface PixelEmbedder {
  readonly modelId: string;
  readonly dimension: number;
  embedPixels(images: Float32Array[]): Promise<Float32Array[]>;
}

export interface EmbeddingWriter {
  upsertMany(rows: EmbeddingRow[]): Promise<number | void>;
}

export interface EmbedBatchDeps {
  embedder: PixelEmbedder;
  embeddings: EmbeddingWriter;
  metrics: PipelineMetrics;
}

/**
 * One batch: one session run for all images, then one multi-row upsert. Resolves only once the rows
 * are committed, so a job completes only after its embedding is durable.
 */
export function createBatchEmbedder(deps: EmbedBatchDeps): (items: PreparedImage[]) => Promise<void[]> {
  return async (items) => {
    const { metrics } = deps;
    metrics.batchSize.observe(items.length);
    const stopInference = metrics.inferenceDuration.startTimer();
    const vectors = await deps.embedder.embedPixels(items.map((item) => item.pixels));
    stopInference();
    const rows: EmbeddingRow[] = items.map((item, i) => ({
      productId: item.payload.productId,
      model: item.payload.model,
      embedding: vectors[i] as Float32Array,
      imageUrl: item.payload.imageUrl,
      imageSha256: item.imageSha256,
    }));
    try {
      await deps.embeddings.upsertMany(rows);
    } catch (error) {
      if (isConnectionError(error)) throw new DependencyUnavailableError('postgres', error);
      throw error;
    }
    metrics.embeddingsWritten.inc(rows.length);
    return items.map(() => undefined);
  };
}
