import type { EmbeddingRow, UpsertResult } from '@vectorizer/store';
import { inSpan, type PipelineMetrics } from '@vectorizer/telemetry';
import { isRegisteredCode, codeOf } from '@vectorizer/errors';
import {
  DependencyUnavailableError,
  InvalidEmbeddingError,
  EmbeddingRowRejectedError,
  type Dependency,
} from './errors';
import { InFlightVectors } from './in-flight-vectors';
import type { PreparedImage } from './prepare-image';

/** The part of the Embedder the pipeline uses (tests wrap it to count calls). */
export interface PixelEmbedder {
  readonly modelId: string;
  readonly dimension: number;
  /** Images at the model's input size, interleaved 8-bit RGB (PreparedImage.pixels). */
  embedRgb(images: Uint8Array[]): Promise<Float32Array[]>;
}

export interface EmbeddingWriter {
  upsertMany(rows: EmbeddingRow[]): Promise<UpsertResult>;
  /** Stored vectors of `model` for these image hashes (those that have any), in one query. */
  vectorsByImageSha256(model: string, sha256s: readonly string[]): Promise<Map<string, Float32Array>>;
}

/**
 * What became of one job's image in its batch. `reused`: written with the vector of identical bytes
 * (a stored row of the same model, or another job of the same batch) instead of running the model.
 * `superseded`: the product's image changed (or the product was deleted) while the job ran, so its
 * vector was not written and the newer job's stands.
 */
export type BatchOutcome =
  { status: 'embedded' } | { status: 'reused' } | { status: 'superseded' } | { status: 'failed'; error: unknown };

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
const REUSED: BatchOutcome = { status: 'reused' };
const SUPERSEDED: BatchOutcome = { status: 'superseded' };

/**
 * One batch: one lookup of the images already embedded (by sha256), one session run for the
 * others — each distinct image once, and not at all when a batch still in flight is running it —
 * then one multi-row write. Returns an outcome per image, keyed by the image itself (never by
 * position alone), and resolves only once the written rows are committed, so a job completes only
 * after its embedding is durable.
 *
 * One bad item fails only its own job (and the jobs of identical bytes, which share its vector):
 * each vector is checked before the write, and a write that fails for a reason other than an outage
 * is split in halves until the rows Postgres refuses are found.
 */
export function createBatchEmbedder(
  deps: BatchEmbedderDeps,
): (items: PreparedImage[]) => Promise<Map<PreparedImage, BatchOutcome>> {
  const inFlight = new InFlightVectors();
  // With tracing on, a batch is a trace of its own linked both ways with its jobs' traces.
  return (items) =>
    inSpan(
      'vectorizer.batch',
      (span) => {
        const batch = span.spanContext();
        for (const item of items) item.trace?.joinedBatch(batch);
        return embedBatch(items, inFlight, deps);
      },
      {
        root: true,
        attributes: { 'vectorizer.batch.size': items.length },
        links: items.flatMap((item) => (item.trace ? [{ context: item.trace.context }] : [])),
      },
    );
}

async function embedBatch(
  items: PreparedImage[],
  inFlight: InFlightVectors,
  deps: BatchEmbedderDeps,
): Promise<Map<PreparedImage, BatchOutcome>> {
  const outcomes = new Map<PreparedImage, BatchOutcome>();
  const down = deps.downDependency();
  if (down) {
    const postponed = failed(new DependencyUnavailableError(down, 'the worker is paused for an outage'));
    for (const item of items) outcomes.set(item, postponed);
    return outcomes;
  }
  let stored: Map<string, Float32Array>;
  try {
    stored = await deps.embeddings.vectorsByImageSha256(
      deps.embedder.modelId,
      items.map((item) => item.imageSha256),
    );
  } catch (error) {
    if (!(await deps.postgresIsDown(error))) throw error;
    const postponed = failed(
      error instanceof DependencyUnavailableError ? error : new DependencyUnavailableError('postgres', error),
    );
    for (const item of items) outcomes.set(item, postponed);
    return outcomes;
  }
  const withdrawals: (() => void)[] = [];
  try {
    return await embedAndWrite(items, stored, outcomes, { inFlight, withdrawals }, deps);
  } finally {
    for (const withdraw of withdrawals) withdraw();
  }
}

async function embedAndWrite(
  items: PreparedImage[],
  stored: ReadonlyMap<string, Float32Array>,
  outcomes: Map<PreparedImage, BatchOutcome>,
  sharing: Sharing,
  deps: BatchEmbedderDeps,
): Promise<Map<PreparedImage, BatchOutcome>> {
  const { vectors, ranHere } = await inferUnseenImages(items, stored, sharing, deps);

  const rows = new Map<EmbeddingRow, PreparedImage>();
  const counted = new Set<string>();
  for (const item of items) {
    const vector = vectors.get(item.imageSha256);
    const invalid = checkVector(vector, deps.embedder.dimension);
    if (invalid) {
      outcomes.set(item, failed(new InvalidEmbeddingError(invalid.code, item.payload.productId, invalid.reason)));
      continue;
    }
    // The first job of an image this batch ran through the model counts as embedded; every other
    // copy (in this batch, stored, or run by another batch in flight) as reused.
    const reused = !ranHere.has(item.imageSha256) || counted.has(item.imageSha256);
    if (!reused) counted.add(item.imageSha256);
    rows.set(
      {
        productId: item.payload.productId,
        model: item.payload.model,
        embedding: vector as Float32Array,
        imageUrl: item.payload.imageUrl,
        imageSha256: item.imageSha256,
        reused,
      },
      item,
    );
  }
  await inSpan('vectorizer.write', () => writeRows([...rows.keys()], rows, outcomes, deps), {
    attributes: { 'vectorizer.rows': rows.size },
  });
  return outcomes;
}

/** This batch's view of the runs of the batches in flight: what it offers is withdrawn when it ends. */
interface Sharing {
  inFlight: InFlightVectors;
  withdrawals: (() => void)[];
}

/**
 * The vector of every distinct image of the batch: the stored one when its bytes were embedded
 * before, the one a batch in flight is inferring, otherwise from one inference run over the
 * remaining distinct images (identical bytes within the batch run once). `ranHere`: the images
 * this batch ran through the model.
 */
async function inferUnseenImages(
  items: PreparedImage[],
  stored: ReadonlyMap<string, Float32Array>,
  sharing: Sharing,
  deps: BatchEmbedderDeps,
): Promise<{ vectors: Map<string, Float32Array>; ranHere: Set<string> }> {
  const vectors = new Map(stored);
  const unseen = new Map<string, Uint8Array>();
  const elsewhere = new Map<string, { vector: Promise<Float32Array | undefined>; pixels: Uint8Array }>();
  for (const item of items) {
    const sha256 = item.imageSha256;
    if (stored.has(sha256) || unseen.has(sha256) || elsewhere.has(sha256)) continue;
    const running = sharing.inFlight.find(sha256);
    if (running) elsewhere.set(sha256, { vector: running, pixels: item.pixels });
    else unseen.set(sha256, item.pixels);
  }
  const ranHere = new Set<string>();
  const runHere = async (images: Map<string, Uint8Array>) => {
    for (const [sha256, vector] of await runModel(images, sharing, deps)) {
      vectors.set(sha256, vector);
      ranHere.add(sha256);
    }
  };
  if (unseen.size > 0) await runHere(unseen);
  // The other batch's run was queued before this one's, so it has finished by now. Its vectors are
  // taken as they are; if that run failed, those images run here after all.
  const retry = new Map<string, Uint8Array>();
  for (const [sha256, { vector, pixels }] of elsewhere) {
    const borrowed = await vector;
    if (borrowed) vectors.set(sha256, borrowed);
    else retry.set(sha256, pixels);
  }
  if (retry.size > 0) await runHere(retry);
  return { vectors, ranHere };
}

/**
 * One inference run over `images` (distinct, by sha256), each image's vector offered to the batches
 * that start meanwhile until this batch ends. An inference failure is the whole batch's (the model
 * or its thread), so it fails every job of this batch.
 */
async function runModel(
  images: Map<string, Uint8Array>,
  sharing: Sharing,
  deps: BatchEmbedderDeps,
): Promise<Map<string, Float32Array>> {
  deps.metrics.batchSize.observe(images.size);
  const stopInference = deps.metrics.inferenceDuration.startTimer();
  const run = deps.embedder.embedRgb([...images.values()]).then((inferred) => {
    if (inferred.length !== images.size)
      throw new Error(`the embedder returned ${inferred.length} vectors for ${images.size} images`);
    return inferred;
  });
  const sha256s = [...images.keys()];
  sharing.withdrawals.push(sharing.inFlight.offer(sha256s, run));
  const inferred = await inSpan('vectorizer.inference', () => run, {
    attributes: { 'vectorizer.images': images.size },
  });
  stopInference();
  return new Map(sha256s.map((sha256, index) => [sha256, inferred[index] as Float32Array]));
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
  const stopWrite = deps.metrics.writeDuration.startTimer();
  try {
    result = await deps.embeddings.upsertMany(rows);
    stopWrite();
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
  let reused = 0;
  for (const row of rows) {
    if (superseded.has(row)) outcomes.set(owner(row), SUPERSEDED);
    else if (row.reused) {
      outcomes.set(owner(row), REUSED);
      reused += 1;
    } else outcomes.set(owner(row), EMBEDDED);
  }
  deps.metrics.embeddingsWritten.inc(result.written);
  deps.metrics.embeddingsReused.inc(reused);
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
