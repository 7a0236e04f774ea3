import type { Logger } from '@vectorizer/logger';
import { enqueueProducts, type EnqueueTarget } from '@vectorizer/queue';
import type { ProductInput, ProductsRepository } from '@vectorizer/store';
import type { CatalogEntry } from './catalog-reader';

export interface IngestSummary {
  /** Non-empty lines read. */
  lines: number;
  /** Valid products upserted (a product listed twice counts twice). */
  products: number;
  /** Products that were new or changed in Postgres. */
  changed: number;
  /** Jobs added for products whose embedding is missing or stale. */
  enqueued: number;
  /** Products needing an embedding that already had a pending (or dead-lettered) job. */
  alreadyQueued: number;
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

/**
 * Loads a catalog: per chunk of valid lines, upsert the products, ask Postgres which of them still
 * need an embedding for `model` (missing, or made from another image_url), and enqueue exactly
 * those. Postgres stays the source of truth: re-running an ingest enqueues only what is missing.
 * The next chunk is read and upserted while the previous chunk's jobs are being added to Redis.
 */
export async function ingestCatalog(options: IngestOptions): Promise<IngestSummary> {
  const chunkSize = options.chunkSize ?? DEFAULT_INGEST_CHUNK_SIZE;
  const summary: IngestSummary = { lines: 0, products: 0, changed: 0, enqueued: 0, alreadyQueued: 0, malformed: 0 };
  let pendingEnqueue: Promise<void> = Promise.resolve();
  let chunk: ProductInput[] = [];

  const flush = async (products: ProductInput[]): Promise<void> => {
    summary.changed += await options.products.upsertMany(products);
    const ids = [...new Set(products.map((product) => product.id))];
    const needing: { id: string; imageUrl: string }[] = [];
    for await (const page of options.products.streamNeedingEmbedding(options.model, { ids, batchSize: ids.length })) needing.push(...page);
    summary.products += products.length;
    // Only one enqueue in flight: bounded memory, and Redis sees chunks in file order.
    await pendingEnqueue;
    pendingEnqueue = enqueueProducts(options.queue, needing, options.model).then((result) => {
      summary.enqueued += result.added;
      summary.alreadyQueued += result.skipped;
      options.onProgress?.(summary);
    });
    // A failure surfaces at the next chunk's await; this only keeps Node from calling it unhandled meanwhile.
    pendingEnqueue.catch(() => undefined);
  };

  for await (const entry of options.entries) {
    summary.lines += 1;
    if ('error' in entry) {
      summary.malformed += 1;
      options.onMalformed?.(entry);
      continue;
    }
    chunk.push(entry.product);
    if (chunk.length >= chunkSize) {
      await flush(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await flush(chunk);
  await pendingEnqueue;
  options.onProgress?.(summary);
  return summary;
}
