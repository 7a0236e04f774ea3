import type { Config } from '@vectorizer/config';
import { defaultDemoDirectory } from '@vectorizer/dev-model';
import type { ResolvedModel } from '@vectorizer/embedder';
import { VectorizerError, codeOf } from '@vectorizer/errors';
import { checkReadiness, type ReadinessReport } from '@vectorizer/health';
import { countPendingInPostgres } from '@vectorizer/intake';
import type { Logger } from '@vectorizer/logger';
import type { EmbedQueue } from '@vectorizer/queue';
import { ProductImages } from '@vectorizer/images';
import { LazyQueryEncoder, startLinksRefresher, type QueryEncoder } from '@vectorizer/search';
import {
  EmbeddingsRepository,
  ProductNotFoundError,
  ProductsRepository,
  modelRegistration,
  runMigrations,
  type ModelRegistration,
} from '@vectorizer/store';
import { repoRoot } from '@vectorizer/supervisor';
import IORedis, { type Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { MetricsCollector, createApiRegistry } from './api-metrics-collector';
import { CatalogService } from './catalog-services';
import type { Runtime } from './runtime';
import { type SearchServices, type SearchSettings, searchServices, searchSettings } from './search-services';

/** A query is one image or one text: a small batch keeps the API's session light. */
const SEARCH_BATCH_SIZE = 4;
/** How often the API looks for vectors whose near-duplicate links are to be computed. */
const LINKS_REFRESH_INTERVAL_MS = 2_000;

/** What the API is built from: its connections, the search model, and the settings its services read. */
export interface ApiServiceParts extends SearchSettings {
  pool: pg.Pool;
  /** A pool only searches use (SearchRepository keeps session settings on its connections). */
  searchPool: pg.Pool;
  redis: Redis;
  queuePrefix: string;
  /** The embed queue; its failed jobs are the dead letters. */
  queue: EmbedQueue;
  /** The API's metrics registry: /metrics serves it, the planner counts its strategies in it. */
  registry: Registry;
  /** Resolves the model searches use (config files only, no session, no hashing). */
  searchModel: () => Promise<ResolvedModel>;
  /** The configured model's id: /readyz warns when live workers embed with another one. */
  expectedModel?: string;
  /** Starts the session text and image queries are embedded with, on the first such search. */
  startEncoder: (model: ResolvedModel) => Promise<QueryEncoder & { close(): Promise<void> }>;
  /** Per-check limit of /readyz and of each /metrics source. */
  readinessTimeoutMs?: number;
  /** NODE_ENV is production (labels vectorizer_model_info, which the dev-model alert reads). */
  production?: boolean;
  /** Directories whose files `GET /api/products/:id/image` may show. */
  imageFileRoots: readonly string[];
  imageMaxBytes: number;
  /** POST/DELETE /api/products: off without a token. */
  intake: {
    token: string | undefined;
    maxBodyBytes: number;
    /** QUEUE_WINDOW (0 = no window). */
    queueWindow: number;
    /** The id of the model jobs are keyed by. */
    model: () => Promise<string>;
  };
  logger: Logger;
}

/** Everything the API's routes call, wired once. */
export interface ApiServices extends SearchServices {
  queues: { embed: EmbedQueue };
  /** Products arriving over HTTP and each product's embedding status. */
  catalog: CatalogService;
  /** The session text and image searches embed with, started on the first one. */
  searchModel: LazyQueryEncoder;
  /** Which model searches answer with (`GET /api/model`). */
  resolveSearchModel: () => Promise<ResolvedModel>;
  /** /readyz: Redis, Postgres, pgvector + schema + HNSW index, the search model; live workers reported. */
  readiness(): Promise<ReadinessReport>;
  metrics: MetricsCollector;
  productImages: ProductImages;
  /** IMAGE_MAX_BYTES: the largest image a search may upload, as the worker bounds downloads. */
  imageMaxBytes: number;
  intake: ApiServiceParts['intake'];
}

/** Wires the API's repositories, search, metrics, readiness and product images from ready-made parts. */
export function apiServices(parts: ApiServiceParts): ApiServices {
  const { pool, redis, queuePrefix, queue, logger } = parts;
  const queries = new LazyQueryEncoder(
    async () => (await parts.searchModel()).id,
    async () => parts.startEncoder(await parts.searchModel()),
  );
  const search = searchServices({
    pool,
    searchPool: parts.searchPool,
    queries,
    efSearch: parts.efSearch,
    exactMaxRows: parts.exactMaxRows,
    maxK: parts.maxK,
    registry: parts.registry,
  });
  const products = new ProductsRepository(pool);
  const embeddings = new EmbeddingsRepository(pool);
  return {
    ...search,
    searchModel: queries,
    queues: { embed: queue },
    catalog: new CatalogService({ pool, queue: { queue, connection: redis }, queueWindow: parts.intake.queueWindow }),
    resolveSearchModel: parts.searchModel,
    readiness: () =>
      checkReadiness({
        redis,
        pool,
        queuePrefix,
        expectedModel: parts.expectedModel,
        searchModel: parts.searchModel,
        timeoutMs: parts.readinessTimeoutMs,
      }),
    metrics: new MetricsCollector({
      redis,
      queuePrefix,
      queue,
      logger,
      timeoutMs: parts.readinessTimeoutMs,
      registry: parts.registry,
      searchModel: parts.searchModel,
      production: parts.production,
      pendingInPostgres: async () => countPendingInPostgres(embeddings, queue, await parts.intake.model()),
    }),
    productImages: new ProductImages(
      {
        require: async (id) => {
          const product = await products.get(id);
          if (!product) throw new ProductNotFoundError(id);
          return product;
        },
      },
      parts.imageFileRoots,
      parts.imageMaxBytes,
    ),
    imageMaxBytes: parts.imageMaxBytes,
    intake: parts.intake,
  };
}

export interface RunningApiServices extends ApiServices {
  close(): Promise<void>;
}

/**
 * The API's services from config. Resolving the model reads config files only (no session). A model
 * that cannot be resolved leaves the dashboard, health and metrics up; searches then answer with
 * the named error. The dev model in production is a deployment mistake, not an outage: refused
 * (exit 78). Redis and Postgres may be down: the API comes up and /readyz says so.
 */
export async function openApiServices(runtime: Runtime): Promise<RunningApiServices> {
  const { config, logger } = runtime;
  const configuredModel = await runtime.model().catch((error: unknown) => {
    if (codeOf(error) === 'DEV_MODEL_IN_PRODUCTION') throw error;
    logger.error({ err: error }, 'the configured model cannot be resolved: search is unavailable until it is fixed');
    return undefined;
  });
  // An idle client's error (Postgres restarted) must not crash the process; the next query reconnects.
  const onIdleError = (error: Error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost');
  const pool = runtime.pool({ onIdleError });
  const searchPool = runtime.pool({ onIdleError });
  // Requests fail fast while Redis is away (one retry), and ioredis keeps reconnecting forever.
  const redis = new IORedis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (error) => logger.debug({ err: error }, 'Redis connection error'));
  const queue = runtime.embedQueue(redis);
  if (configuredModel) await migrateAtStart(modelRegistration(configuredModel, config), pool, logger);
  // A model fixed after start (files copied in) makes /readyz pass without a restart.
  const searchModel = () => (configuredModel ? Promise.resolve(configuredModel) : runtime.model());
  const services = apiServices({
    pool,
    searchPool,
    redis,
    queuePrefix: config.QUEUE_PREFIX,
    queue,
    registry: createApiRegistry(),
    searchModel,
    expectedModel: configuredModel?.id,
    startEncoder: (model) => runtime.startEmbedder(model, { maxBatchSize: SEARCH_BATCH_SIZE }),
    ...searchSettings(config),
    production: config.NODE_ENV === 'production',
    imageFileRoots: imageFileRoots(config),
    imageMaxBytes: config.IMAGE_MAX_BYTES,
    intake: {
      token: config.INGEST_TOKEN,
      maxBodyBytes: config.INGEST_MAX_BODY_BYTES,
      queueWindow: config.QUEUE_WINDOW,
      model: async () => (await searchModel()).id,
    },
    logger,
  });
  // New and changed vectors get their near-duplicate links in the background (pending in Postgres).
  const refresher = startLinksRefresher({
    links: services.links,
    model: async () => (await services.models.active())?.id,
    intervalMs: LINKS_REFRESH_INTERVAL_MS,
    onError: (error) => logger.warn({ err: error }, 'duplicate links: refresh failed; retrying'),
    onRefreshed: (count) => logger.debug({ count }, 'duplicate links refreshed'),
  });
  return {
    ...services,
    close: async () => {
      await refresher.stop();
      await services.searchModel.close();
      await queue.close().catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
      await pool.end();
      await searchPool.end();
    },
  };
}

/**
 * Where product images given as `file://` URLs may be shown from: IMAGE_FILE_ROOT, and outside
 * production the demo's folder, so the quick start's images load whenever `serve` runs.
 */
function imageFileRoots(config: Config): string[] {
  const roots = config.IMAGE_FILE_ROOT ? [config.IMAGE_FILE_ROOT] : [];
  if (config.NODE_ENV !== 'production') roots.push(defaultDemoDirectory(repoRoot()));
  return roots;
}

/**
 * Brings the schema up to date and registers the configured model (advisory-locked, so safe beside
 * workers and `vectorizer migrate`). Postgres being down is not fatal here — the API still serves the
 * dashboard and /readyz reports it — but a schema this code must not touch (a model id registered
 * with another dimension, edited migrations) is.
 */
async function migrateAtStart(model: ModelRegistration, pool: pg.Pool, logger: Logger): Promise<void> {
  try {
    await runMigrations(pool, { model, logger });
  } catch (error) {
    if (error instanceof VectorizerError && error.code !== 'POSTGRES_UNAVAILABLE') throw error;
    logger.warn({ err: error }, 'could not migrate at start (is PostgreSQL up?); /readyz reports the schema');
  }
}
