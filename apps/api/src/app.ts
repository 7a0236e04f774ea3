import { join } from 'node:path';
import type { ResolvedModel } from '@vectorizer/embedder';
import type { Logger } from '@vectorizer/logger';
import { getQueueStats, type EmbedQueue } from '@vectorizer/queue';
import { pendingInPostgres } from '@vectorizer/intake';
import { DuplicateLinks, KnnPlanner } from '@vectorizer/search';
import { DuplicateLinksRepository, EmbeddingsRepository, SearchRepository } from '@vectorizer/store';
import { CatalogService } from '@vectorizer/runtime';
import { createSearchMetrics } from '@vectorizer/telemetry';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { DashboardAccess } from './dashboard/dashboard-access';
import { mountDashboard } from './dashboard/mount-dashboard';
import { MetricsCollector } from './metrics/metrics-collector';
import { duplicatesRoutes } from './routes/duplicates-routes';
import { errorHandler } from './routes/error-handler';
import { healthRoutes } from './routes/health-routes';
import { intakeRoutes } from './routes/intake-routes';
import { metricsRoutes } from './routes/metrics-routes';
import { modelRoutes } from './routes/model-routes';
import { productImageRoutes } from './routes/product-image-routes';
import { productStatusRoutes } from './routes/product-status-routes';
import { searchRoutes } from './routes/search-routes';
import type { LazySearchModel } from './search/search-model';
import { type ActiveModelSource, SearchService, type VectorSearch } from './search/search-service';

export interface ApiDependencies {
  pool: Pool;
  redis: Redis;
  queuePrefix: string;
  /** The embed queue; its failed jobs are the dead letters. */
  queues: { embed: Queue };
  searchModel: LazySearchModel;
  /** The kNN planner over a pool of its own (its session settings must not reach other queries). */
  search: VectorSearch;
  /** The model registry: which model answers searches. */
  models: ActiveModelSource;
  dashboard: DashboardAccess;
  searchLimits: { maxK: number; maxConcurrentUploads?: number };
  /** Near-duplicate links (built from `pool` and `search` when left out). */
  duplicateLinks?: DuplicateLinks;
  /** The API's metrics registry: /metrics serves it, the planner counts its strategies in it. */
  registry?: Registry;
  imageMaxBytes: number;
  logger: Logger;
  /** Per-check limit for /readyz. */
  readinessTimeoutMs?: number;
  /** The configured model's id: /readyz warns when live workers embed with another one. */
  expectedModel?: string;
  /** Resolves the model searches use, for /readyz (config files only, no session, no hashing). */
  resolveSearchModel?: () => Promise<ResolvedModel>;
  /** NODE_ENV is production (labels vectorizer_model_info, which the dev-model alert reads). */
  production?: boolean;
  /** Directories whose files `GET /api/products/:id/image` may show (IMAGE_FILE_ROOT, the demo's folder). */
  imageFileRoots?: readonly string[];
  /** POST/DELETE /api/products: off without a token. */
  intake: {
    token: string | undefined;
    maxBodyBytes: number;
    /** QUEUE_WINDOW (0 = no window). */
    queueWindow: number;
    /** The id of the model jobs are keyed by. */
    model: () => Promise<string>;
  };
}

const PUBLIC_DIR = join(__dirname, 'public');

/** The near-duplicate links of the catalog, found through the planner's unfiltered HNSW search. */
export function duplicateLinks(pool: Pool, search: VectorSearch): DuplicateLinks {
  return new DuplicateLinks(
    new DuplicateLinksRepository(pool),
    async (query, model, k) => (await search.search(query, model, k)).hits,
  );
}

/**
 * The kNN planner over `searchPool`, a pool only searches use (SearchRepository keeps session
 * settings on its connections), counting its strategies in `registry`.
 */
export function createVectorSearch(
  searchPool: Pool,
  options: { efSearch: number; exactMaxRows: number; registry: Registry },
): KnnPlanner {
  return new KnnPlanner(new SearchRepository(searchPool), {
    efSearch: options.efSearch,
    exactMaxRows: options.exactMaxRows,
    metrics: createSearchMetrics(options.registry),
  });
}

/**
 * Builds the express app from ready-made dependencies, so tests run it in-process against real
 * services. It opens nothing and closes nothing: the owner of the dependencies does both.
 */
export function createApp(deps: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  const queue = { queue: deps.queues.embed as EmbedQueue, connection: deps.redis };
  const catalog = new CatalogService({ pool: deps.pool, queue, queueWindow: deps.intake.queueWindow });

  mountDashboard(
    app,
    [
      {
        queue: deps.queues.embed,
        description:
          'Product images to embed. "failed" holds the dead letters (failed reason = code: message); retry them there or with `vectorizer dlq retry`.',
      },
    ],
    deps.dashboard,
  );

  app.use(
    healthRoutes(() => ({
      redis: deps.redis,
      pool: deps.pool,
      queuePrefix: deps.queuePrefix,
      expectedModel: deps.expectedModel,
      searchModel: deps.resolveSearchModel,
      timeoutMs: deps.readinessTimeoutMs,
    })),
  );
  app.use(
    metricsRoutes(
      new MetricsCollector({
        redis: deps.redis,
        queuePrefix: deps.queuePrefix,
        queue: deps.queues.embed,
        logger: deps.logger,
        timeoutMs: deps.readinessTimeoutMs,
        registry: deps.registry,
        searchModel: deps.resolveSearchModel,
        production: deps.production,
        pendingInPostgres: async () => {
          const [missing, queue] = await Promise.all([
            new EmbeddingsRepository(deps.pool).countMissing(await deps.intake.model()),
            getQueueStats(deps.queues.embed),
          ]);
          return pendingInPostgres(missing, queue);
        },
      }),
    ),
  );
  app.use(
    '/api',
    searchRoutes({
      service: new SearchService(deps.searchModel, deps.search, deps.models),
      maxK: deps.searchLimits.maxK,
      imageMaxBytes: deps.imageMaxBytes,
      maxConcurrentUploads: deps.searchLimits.maxConcurrentUploads,
    }),
  );
  app.use(
    '/api',
    duplicatesRoutes({ models: deps.models, links: deps.duplicateLinks ?? duplicateLinks(deps.pool, deps.search) }),
  );
  app.use(
    '/api',
    intakeRoutes({
      token: deps.intake.token,
      maxBodyBytes: deps.intake.maxBodyBytes,
      catalog,
      model: deps.intake.model,
    }),
  );
  app.use(
    '/api',
    productImageRoutes({ pool: deps.pool, fileRoots: deps.imageFileRoots ?? [], maxBytes: deps.imageMaxBytes }),
  );
  app.use('/api', productStatusRoutes({ catalog, model: deps.intake.model }));
  app.use('/api', modelRoutes(deps.resolveSearchModel));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m' }));
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'ROUTE_NOT_FOUND', message: `No route for ${req.method} ${req.path}` } });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
