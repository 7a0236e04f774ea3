import type pg from 'pg';
import { explainProduct, type ProductExplanation } from '@vectorizer/health';
import {
  backfill,
  INGEST_CHUNKS_IN_FLIGHT,
  ingestCatalog,
  intakeBodyFormat,
  intakeItems,
  parseIntakeBody,
  pendingInPostgres,
  QueueWindow,
  readCatalog,
  removeProduct,
  type CatalogFile,
  type IngestSummary,
  type IntakeDeps,
  type IntakeResult,
  type ItemsIntakeResult,
  type MalformedLine,
} from '@vectorizer/intake';
import { getQueueStats, type EnqueueTarget, type QueueStats } from '@vectorizer/queue';
import { checkSchema, EmbeddingsRepository, ProductsRepository } from '@vectorizer/store';
import type { Runtime } from './runtime';

/** `ingest` checks its file before it opens any service. */
export { openCatalogFile, type CatalogFile, type CatalogFormat } from '@vectorizer/intake';

export interface CatalogServiceDeps {
  pool: pg.Pool;
  /** The embed queue and the connection it was made with. */
  queue: EnqueueTarget;
  /** QUEUE_WINDOW: jobs at most pending in Redis, the rest stay pending in Postgres (0 = no window). */
  queueWindow: number;
}

/** Which products `enqueue` backfills: those missing an embedding, every one, or these ids (re-embedded). */
export type EnqueueSelection = { missing: true } | { all: true } | { ids: string[] };

export interface IngestFileOptions {
  model: string;
  /** Products per round trip to Postgres and Redis (default: intake's). */
  chunkSize?: number;
  onMalformed?: (malformed: MalformedLine) => void;
  /** After every chunk, with the file's bytes read so far. */
  onProgress?: (summary: Readonly<IngestSummary>, bytesRead: number) => void;
}

/** `vectorizer status --json` (with the model) and what the dashboard counts. */
export interface CatalogStatus {
  products: number;
  embedded: number;
  /** Of `embedded`, products whose vector was copied from identical image bytes instead of inferred. */
  reused: number;
  missing: number;
  /** Missing embeddings the queue does not hold: left in Postgres by the queue window (an estimate). */
  pendingInPostgres: number;
  queue: QueueStats;
  /** The embed queue's failed jobs: the same number as queue.failed, `dlq list` and the metrics. */
  deadLetter: number;
}

/**
 * The catalog as the apps see it: products in (a file, an HTTP body), out (remove), jobs for them
 * (enqueue), and what state they are in (status, explain). Built once from a pool and the embed
 * queue; every way in goes through intake and the queue window.
 */
export class CatalogService {
  private readonly products: ProductsRepository;
  private readonly embeddings: EmbeddingsRepository;
  private readonly window: QueueWindow;

  constructor(private readonly deps: CatalogServiceDeps) {
    this.products = new ProductsRepository(deps.pool);
    this.embeddings = new EmbeddingsRepository(deps.pool);
    this.window = new QueueWindow(deps.queue, deps.queueWindow, this.products);
  }

  /** `vectorizer ingest`: streams the file through intake; malformed lines are reported, never fatal. */
  ingestFile(file: CatalogFile, options: IngestFileOptions): Promise<IngestSummary> {
    const source = readCatalog(file.path, file.format);
    const onProgress = options.onProgress;
    return ingestCatalog({
      ...this.intakeDeps(options.model),
      products: this.products,
      entries: source.entries,
      chunkSize: options.chunkSize,
      onMalformed: options.onMalformed,
      onProgress: onProgress && ((summary) => onProgress(summary, source.bytesRead())),
    });
  }

  /** Refuses a Content-Type intake cannot read (415), before the body is read. */
  checkBodyType(contentType: string | undefined): void {
    intakeBodyFormat(contentType);
  }

  /** `POST /api/products`: a JSON array or NDJSON body; each bad item is reported by index, the rest taken in. */
  intakeBody(body: Uint8Array, contentType: string | undefined, model: string): Promise<ItemsIntakeResult> {
    return intakeItems(parseIntakeBody(body, intakeBodyFormat(contentType)), this.intakeDeps(model));
  }

  /** Deletes a product and its vectors and drops its waiting job; false when there was no such product. */
  remove(id: string, model: string): Promise<boolean> {
    return removeProduct(id, { products: this.products, queue: this.deps.queue, model });
  }

  /**
   * `vectorizer enqueue`: backfills jobs from Postgres within the queue window. `missing` leaves what
   * does not fit pending in Postgres; `all` and `ids` re-embed and wait for room (`onWaiting`).
   */
  enqueue(
    selection: EnqueueSelection,
    model: string,
    onWaiting?: (progress: { enqueued: number; pending: number }) => void,
  ): Promise<IntakeResult> {
    const reembed = !('missing' in selection);
    const ids = 'ids' in selection ? selection.ids : undefined;
    return backfill(this.products.streamNeedingEmbedding(model, { all: reembed, ids }), this.intakeDeps(model), {
      reembed,
      onWaiting,
    });
  }

  async status(model: string): Promise<CatalogStatus> {
    const [products, embedded, reused, missing, queue] = await Promise.all([
      this.products.count(),
      this.embeddings.countEmbedded(model),
      this.embeddings.countReused(model),
      this.embeddings.countMissing(model),
      getQueueStats(this.deps.queue.queue),
    ]);
    return {
      products,
      embedded,
      reused,
      missing,
      pendingInPostgres: pendingInPostgres(missing, queue),
      queue,
      deadLetter: queue.failed,
    };
  }

  /** Why a product is or is not embedded for `model` (PRODUCT_NOT_FOUND when unknown). */
  explain(productId: string, model: string): Promise<ProductExplanation> {
    return explainProduct({ pool: this.deps.pool, queue: this.deps.queue.queue }, productId, model);
  }

  private intakeDeps(model: string): IntakeDeps {
    return { products: this.products, window: this.window, model };
  }
}

/** Pool connections a command's catalog needs: one per ingest chunk in flight, and one to spare. */
const CATALOG_COMMAND_CONNECTIONS = INGEST_CHUNKS_IN_FLIGHT + 1;

/**
 * A command's catalog: opens the embed queue, then the database (so an unreachable Redis or
 * Postgres fails before any model work), checks the schema, resolves the model (`--model` or the
 * configured one), runs `work` and closes what it opened.
 */
export async function withCatalog<T>(
  runtime: Runtime,
  modelOverride: string | undefined,
  work: (catalog: CatalogService, model: string) => Promise<T>,
): Promise<T> {
  const queues = await runtime.openQueues();
  try {
    const pool = await runtime.openDatabase({ max: CATALOG_COMMAND_CONNECTIONS });
    try {
      await checkSchema(pool);
      const model = await runtime.modelId(modelOverride);
      const catalog = new CatalogService({
        pool,
        queue: { queue: queues.queue, connection: queues.connection },
        queueWindow: runtime.config.QUEUE_WINDOW,
      });
      return await work(catalog, model);
    } finally {
      await pool.end();
    }
  } finally {
    await queues.close();
  }
}
