import type { Config } from '@vectorizer/config';
import { connectForCommand, createEmbedQueue, retentionFromSettings } from '@vectorizer/queue';
import { createPool, poolOptionsFromConfig, ProductsRepository } from '@vectorizer/store';
import { toProductFromValue } from './catalog-record';
import { intakeItems, type ItemsIntakeResult } from './intake-items';
import type { IntakeDeps } from './intake';
import { QueueWindow } from './queue-window';
import { removeProduct, type RemoveProductDeps } from './remove-product';

/**
 * One product as every loader hands it in (a catalog line, an HTTP item): fields other than these
 * are stored in `attributes` too.
 */
export interface CatalogRecord {
  id: string | number;
  image_url: string;
  title?: string | null;
  attributes?: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** The settings a loader needs: the same environment the workers read (`loadConfig()`). */
export type LoaderSettings = Pick<
  Config,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_MAX'
  | 'DATABASE_CONNECT_TIMEOUT_MS'
  | 'DATABASE_STATEMENT_TIMEOUT_MS'
  | 'REDIS_URL'
  | 'QUEUE_PREFIX'
  | 'JOB_ATTEMPTS'
  | 'JOB_BACKOFF_MS'
  | 'QUEUE_KEEP_COMPLETED_COUNT'
  | 'QUEUE_KEEP_COMPLETED_AGE_S'
  | 'QUEUE_KEEP_FAILED_COUNT'
  | 'QUEUE_KEEP_FAILED_AGE_S'
  | 'QUEUE_WINDOW'
>;

export interface LoaderOpenOptions {
  /** The model id the workers embed with (`vectorizer status` prints it): jobs are keyed by it. */
  model: string;
  /** A Postgres schema other than the default search_path (the products table lives there). */
  schema?: string;
}

/**
 * The TypeScript loader API: upsert products into Postgres and enqueue those that need an
 * embedding, through the same path as `ingest` and `POST /api/products` (intake), with the
 * same validation. Idempotent: loading the same records again enqueues nothing new.
 *
 *   const loader = await Loader.open(loadConfig(), { model });
 *   const { accepted, enqueued, errors } = await loader.load([{ id: 'p1', image_url: 'https://…' }]);
 *   await loader.close();
 */
export class Loader {
  private constructor(
    private readonly deps: IntakeDeps & RemoveProductDeps,
    private readonly release: () => Promise<void>,
  ) {}

  /** Connects to Postgres and Redis (failing fast, with the URL and a fix, when either is down). */
  static async open(settings: LoaderSettings, options: LoaderOpenOptions): Promise<Loader> {
    const connection = await connectForCommand(settings.REDIS_URL);
    const queue = createEmbedQueue({
      connection,
      prefix: settings.QUEUE_PREFIX,
      retryPolicy: { attempts: settings.JOB_ATTEMPTS, backoffMs: settings.JOB_BACKOFF_MS },
      retention: retentionFromSettings(settings),
    });
    const pool = createPool(settings.DATABASE_URL, { ...poolOptionsFromConfig(settings), schema: options.schema });
    const products = new ProductsRepository(pool);
    const target = { queue, connection };
    return new Loader(
      {
        products,
        queue: target,
        window: new QueueWindow(target, settings.QUEUE_WINDOW, products),
        model: options.model,
      },
      async () => {
        await queue.close();
        await connection.quit();
        await pool.end();
      },
    );
  }

  /**
   * Upserts the valid records and enqueues those whose embedding is missing or stale; each invalid
   * record is reported by its index in `records` and skipped, never fatal.
   */
  async load(records: Iterable<CatalogRecord | Record<string, unknown>>): Promise<ItemsIntakeResult> {
    return intakeItems(
      (function* () {
        let index = 0;
        for (const record of records) yield { index: index++, result: toProductFromValue(record) };
      })(),
      this.deps,
    );
  }

  /** Deletes a product and its vectors, and drops its waiting job; false when it did not exist. */
  async remove(id: string): Promise<boolean> {
    return removeProduct(id, this.deps);
  }

  async close(): Promise<void> {
    await this.release();
  }
}
