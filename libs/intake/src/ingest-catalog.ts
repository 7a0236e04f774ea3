import type { Logger } from '@vectorizer/logger';
import type { EnqueueTarget } from '@vectorizer/queue';
import type { ProductInput, ProductsRepository } from '@vectorizer/store';
import type { CatalogEntry } from './catalog-reader';
import { enqueueNeedingEmbedding } from './enqueue-needing-embedding';
import { QueueWindow } from './queue-window';

export interface IngestSummary {
  /** Non-empty lines read. */
  lines: number;
  /** Valid products upserted (a product listed twice counts twice). */
  products: number;
  /** Products that were new or changed in Postgres. */
  changed: number;
  /** Jobs added for products whose embedding is missing or stale. */
  enqueued: number;
  /** Products needing an embedding whose job is still pending (waiting, delayed or active). */
  alreadyQueued: number;
  /** Products left pending in Postgres because the queue window was full (the reconcile loop enqueues them). */
  deferred: number;
  malformed: number;
}

export interface MalformedLine {
  line: number;
  error: string;
}

export interface IngestOptions {
  entries: AsyncIterable<CatalogEntry>;
  products: ProductsRepository;
  queue: EnqueueTarget;
  /** QUEUE_WINDOW: jobs at most pending in Redis; 0 or unset = no window. */
  queueWindow?: number;
  model: string;
  logger: Logger;
  /** Products per round trip to Postgres and Redis; bounds memory. */
  chunkSize?: number;
  /** Called for every rejected line (the command logs the first ones and can write them all to a file). */
  onMalformed?: (malformed: MalformedLine) => void;
  /** Called after every chunk, for progress display. */
  onProgress?: (summary: Readonly<IngestSummary>) => void;
}

export const DEFAULT_INGEST_CHUNK_SIZE = 1_000;
/** Chunks between "upserted" and "enqueued" at once; the command's pool needs this many + 1 connections. */
export const INGEST_CHUNKS_IN_FLIGHT = 3;

/**
 * Loads a catalog: per chunk of valid lines, upsert the products, ask Postgres which of them still
 * need an embedding for `model` (missing, or made from another image_url), and enqueue exactly
 * those while the queue window has room; the rest stay pending in Postgres for the reconcile loop.
 * Postgres stays the source of truth: re-running an ingest enqueues only what is missing.
 *
 * Upserts run one after another in file order (a product listed twice ends with its last line);
 * each chunk's "which need embedding" query and its enqueue overlap the next chunks' upserts, with
 * at most INGEST_CHUNKS_IN_FLIGHT chunks in flight, so memory stays bounded.
 */
export async function ingestCatalog(options: IngestOptions): Promise<IngestSummary> {
  const chunkSize = options.chunkSize ?? DEFAULT_INGEST_CHUNK_SIZE;
  const summary: IngestSummary = {
    lines: 0,
    products: 0,
    changed: 0,
    enqueued: 0,
    alreadyQueued: 0,
    deferred: 0,
    malformed: 0,
  };
  const window = new QueueWindow(options.queue, options.queueWindow ?? 0);
  const inFlight = new Set<Promise<void>>();
  let upserts: Promise<unknown> = Promise.resolve();
  let failure: { error: unknown } | undefined;

  const enqueueNeeding = async (products: ProductInput[]): Promise<void> => {
    const result = await enqueueNeedingEmbedding(
      products.map((product) => product.id),
      { products: options.products, window, model: options.model },
    );
    summary.products += products.length;
    summary.enqueued += result.enqueued;
    summary.alreadyQueued += result.alreadyQueued;
    summary.deferred += result.deferred;
    options.onProgress?.(summary);
  };

  const submit = async (products: ProductInput[]): Promise<void> => {
    const upserted = upserts.then(() => options.products.upsertMany(products));
    upserts = upserted.catch(() => undefined);
    const task = upserted.then(async (changed) => {
      summary.changed += changed;
      await enqueueNeeding(products);
    });
    inFlight.add(task);
    task.catch((error: unknown) => (failure ??= { error })).finally(() => inFlight.delete(task));
    while (inFlight.size >= INGEST_CHUNKS_IN_FLIGHT && !failure) await Promise.race(inFlight).catch(() => undefined);
    if (failure) throw failure.error;
  };

  try {
    let chunk: ProductInput[] = [];
    for await (const entry of options.entries) {
      summary.lines += 1;
      if ('error' in entry) {
        summary.malformed += 1;
        options.onMalformed?.(entry);
        continue;
      }
      chunk.push(entry.product);
      if (chunk.length >= chunkSize) {
        await submit(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await submit(chunk);
  } finally {
    // Never leave work running behind the caller's back, even when failing.
    await Promise.allSettled([...inFlight]);
  }
  if (failure) throw failure.error;
  options.onProgress?.(summary);
  return summary;
}
