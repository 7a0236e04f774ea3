import type { Logger } from '@vectorizer/logger';
import type { EnqueueTarget } from '@vectorizer/queue';
import type { ProductInput, ProductsRepository } from '@vectorizer/store';
import type { CatalogEntry } from './catalog-reader';
import { intakeProducts, type IntakeProductsStore } from './intake-products';

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
  /** QUEUE_WINDOW: jobs at most pending in Redis; 0 = no window. */
  queueWindow: number;
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
 * Loads a catalog: each chunk of valid lines goes through intakeProducts (upsert, then enqueue what
 * still needs an embedding while the queue window has room; the rest stay pending in Postgres for
 * the reconcile loop). Postgres stays the source of truth: re-running an ingest enqueues only what
 * is missing.
 *
 * Upserts run one after another in file order (a product listed twice ends with its last line);
 * each chunk's enqueue step overlaps the next chunks' upserts, with at most
 * INGEST_CHUNKS_IN_FLIGHT chunks in flight, so memory stays bounded.
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
  const inFlight = new Set<Promise<void>>();
  const upsertsInOrder = new UpsertsInFileOrder(options.products);
  let failure: { error: unknown } | undefined;

  const submit = async (products: ProductInput[]): Promise<void> => {
    const turn = upsertsInOrder.nextTurn();
    const task = intakeProducts(products, {
      products: turn.store,
      queue: options.queue,
      queueWindow: options.queueWindow,
      model: options.model,
    })
      .finally(turn.release)
      .then((result) => {
        summary.products += result.accepted;
        summary.changed += result.changed;
        summary.enqueued += result.enqueued;
        summary.alreadyQueued += result.alreadyQueued;
        summary.deferred += result.deferred;
        options.onProgress?.(summary);
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

/**
 * Hands each chunk a view of the products store whose upsert starts only once the previous
 * chunk's upsert has settled, so chunks running in parallel still write in file order.
 */
class UpsertsInFileOrder {
  private previous: Promise<void> = Promise.resolve();

  constructor(private readonly products: ProductsRepository) {}

  /** The next chunk's turn; call `release` when the chunk ends, so a chunk that failed before upserting never blocks the rest. */
  nextTurn(): { store: IntakeProductsStore; release: () => void } {
    const previous = this.previous;
    let release!: () => void;
    this.previous = new Promise<void>((resolve) => (release = resolve));
    const store: IntakeProductsStore = {
      upsertMany: async (chunk) => {
        await previous;
        try {
          return await this.products.upsertMany(chunk);
        } finally {
          release();
        }
      },
      streamNeedingEmbedding: (model, opts) => this.products.streamNeedingEmbedding(model, opts),
    };
    return { store, release };
  }
}
