import type { EmbeddingRow, UpsertResult } from '@vectorizer/store';
import type { PipelineMetrics } from '@vectorizer/telemetry';
import { isRegisteredCode, codeOf } from '@vectorizer/errors';
import { recyclePixels } from '@vectorizer/images';
import {
  DependencyUnavailableError,
  InvalidEmbeddingError,
  EmbeddingRowRejectedError,
  type Dependency,
} from './errors';
import type { PreparedImage } from './prepare-image';

/** The part of the Embedder the pipeline uses (tests wrap it to count calls). */
export interface PixelEmbedder {
  readonly modelId: string;
  readonly dimension: number;
  embedPixels(images: Float32Array[]): Promise<Float32Array[]>;
}

export interface EmbeddingWriter {
  upsertMany(rows: EmbeddingRow[]): Promise<UpsertResult>;
}

/**
 * What became of one job's image in its batch. `superseded`: the product's image changed (or the
 * product was deleted) while the job ran, so its vector was not written and the newer job's stands.
 */
export type BatchOutcome = { status: 'embedded' } | { status: 'superseded' } | { status: 'failed'; error: unknown };

export interface BatchEmbedderDeps {
  embedder: PixelEmbedder;
  embeddings: EmbeddingWriter;
  metrics: PipelineMetrics;
  /**
   * Decides whether a failed write means Postgres is down (whatever the error code), e.g. by
   * asking Postgres itself on a fresh connection. Down: every job of the batch is postponed.
   */
  postgresIsDown: (writeError: unknown) => Promise<boolean>;
  /** The dependency the worker is paused for, if any: then no inference is run that could not be written. */
  downDependency: () => Dependency | undefined;
}

const EMBEDDED: BatchOutcome = { status: 'embedded' };
const SUPERSEDED: BatchOutcome = { status: 'superseded' };

/**
 * One batch: one session run for all images, then one multi-row write. Returns an outcome per
 * image, keyed by the image itself (never by position alone), and resolves only once the written
 * rows are committed, so a job completes only after its embedding is durable.
 *
 * One bad item fails only its own job: each vector is checked before the write, and a write that
 * fails for a reason other than an outage is split in halves until the rows Postgres refuses are
 * found.
 */
export function createBatchEmbedder(
  deps: BatchEmbedderDeps,
): (items: PreparedImage[]) => Promise<Map<PreparedImage, BatchOutcome>> {
  return async (items) => {
    const outcomes = new Map<PreparedImage, BatchOutcome>();
    const down = deps.downDependency();
    if (down) {
      const postponed = failed(new DependencyUnavailableError(down, 'the worker is paused for an outage'));
      for (const item of items) outcomes.set(item, postponed);
      return outcomes;
    }
    deps.metrics.batchSize.observe(items.length);
    const stopInference = deps.metrics.inferenceDuration.startTimer();
    // An inference failure is the whole batch's (the model or its thread), so it fails every job.
    const pixels = items.map((item) => item.pixels);
    let vectors: Float32Array[];
    try {
      vectors = await deps.embedder.embedPixels(pixels);
    } finally {
      // Nothing reads a job's pixels after its batch ran (a retry fetches and decodes again).
      recyclePixels(pixels);
    }
    stopInference();
    if (vectors.length !== items.length) {
      throw new Error(`the embedder returned ${vectors.length} vectors for ${items.length} images`);
    }

    const rows = new Map<EmbeddingRow, PreparedImage>();
    items.forEach((item, index) => {
      const vector = vectors[index] as Float32Array;
      const invalid = checkVector(vector, deps.embedder.dimension);
      if (invalid) {
        outcomes.set(item, failed(new InvalidEmbeddingError(invalid.code, item.payload.productId, invalid.reason)));
        return;
      }
      rows.set(
        {
          productId: item.payload.productId,
          model: item.payload.model,
          embedding: vector,
          imageUrl: item.payload.imageUrl,
          imageSha256: item.imageSha256,
        },
        item,
      );
    });
    await writeRows([...rows.keys()], rows, outcomes, deps);
    return outcomes;
  };
}

/** Writes the rows; on a refused write, bisects so that only the offending rows fail. */
async function writeRows(
  rows: EmbeddingRow[],
  owners: Map<EmbeddingRow, PreparedImage>,
  outcomes: Map<PreparedImage, BatchOutcome>,
  deps: BatchEmbedderDeps,
): Promise<void> {
  if (rows.length === 0) return;
  const owner = (row: EmbeddingRow): PreparedImage => owners.get(row) as PreparedImage;
  let result: UpsertResult;
  try {
    result = await deps.embeddings.upsertMany(rows);
  } catch (error) {
    if (await deps.postgresIsDown(error)) {
      const postponed = failed(
        error instanceof DependencyUnavailableError ? error : new DependencyUnavailableError('postgres', error),
      );
      for (const row of rows) outcomes.set(owner(row), postponed);
      return;
    }
    if (rows.length === 1) {
      const row = rows[0] as EmbeddingRow;
      // Our own store errors keep their code; whatever Postgres refused is named as such.
      const code = codeOf(error);
      outcomes.set(
        owner(row),
        failed(code && isRegisteredCode(code) ? error : new EmbeddingRowRejectedError(row, error)),
      );
      return;
    }
    const middle = Math.ceil(rows.length / 2);
    await writeRows(rows.slice(0, middle), owners, outcomes, deps);
    await writeRows(rows.slice(middle), owners, outcomes, deps);
    return;
  }
  const superseded = new Set(result.superseded);
  for (const row of rows) outcomes.set(owner(row), superseded.has(row) ? SUPERSEDED : EMBEDDED);
  deps.metrics.embeddingsWritten.inc(result.written);
}

/** Why the vector cannot be stored, or undefined when it can. */
function checkVector(
  vector: Float32Array | undefined,
  dimension: number,
): { code: 'EMBEDDING_NOT_FINITE' | 'VECTOR_DIMENSION_MISMATCH'; reason: string } | undefined {
  if (vector === undefined || vector.length !== dimension) {
    return {
      code: 'VECTOR_DIMENSION_MISMATCH',
      reason: `the vector has ${vector?.length ?? 0} dimensions, the model ${dimension}`,
    };
  }
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) return { code: 'EMBEDDING_NOT_FINITE', reason: `component ${i} is ${vector[i]}` };
  }
  return undefined;
}

const failed = (error: unknown): BatchOutcome => ({ status: 'failed', error });
