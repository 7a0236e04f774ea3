import type { ProductInput, ProductsRepository } from '@vectorizer/store';
import type { CatalogEntry } from './catalog-reader';
import { intake, type IntakeDeps, type IntakeProductsStore } from './intake';
import { addCounts, emptyIntakeResult, type IntakeResult } from './intake-result';

/** A catalog file's intake: `accepted` counts the valid lines (a product listed twice counts twice). */
export interface IngestSummary extends IntakeResult {
  /** Non-empty lines read. */
  lines: number;
  malformed: number;
}

export interface MalformedLine {
  line: number;
  error: string;
}

export interface IngestOptions extends IntakeDeps {
  entries: AsyncIterable<CatalogEntry>;
  products: ProductsRepository;
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
 * Loads a catalog: each chunk of valid lines goes through intake (upsert, then enqueue what
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
  const summary: IngestSummary = { ...emptyIntakeResult(), lines: 0, malformed: 0 };
  const inFlight = new Set<Promise<void>>();
  const upsertsInOrder = new UpsertsInFileOrder(options.products);
  let failure: { error: unknown } | undefined;

  const submit = async (products: ProductInput[]): Promise<void> => {
    const turn = upsertsInOrder.nextTurn();
    const task = intake({ upsert: products }, { products: turn.store, window: options.window, model: options.model })
      .finally(turn.release)
      .then((result) => {
        addCounts(summary, result);
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
