import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@vectorizer/config';
import { defaultDemoDirectory } from '@vectorizer/dev-model';
import { repoRoot } from '@vectorizer/supervisor';
import { VectorizerError, codeOf } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import { Runtime } from '@vectorizer/runtime';
import { type ModelRegistration, ModelsRepository, modelRegistration, runMigrations } from '@vectorizer/store';
import type pg from 'pg';
import IORedis from 'ioredis';
import { startLinksRefresher } from '@vectorizer/search';
import { createApp, createVectorSearch, duplicateLinks } from './app';
import { createApiRegistry } from './metrics/metrics-collector';
import { resolveDashboardAccess } from './dashboard/dashboard-access';
import { LazySearchModel } from './search/search-model';

export interface RunningApi {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** A query is one image or one text: a small batch keeps the API's session light. */
const SEARCH_BATCH_SIZE = 4;

export class ApiListenError extends VectorizerError {
  constructor(host: string, port: number, cause: unknown) {
    const inUse = (cause as { code?: string }).code === 'EADDRINUSE';
    super('API_LISTEN_FAILED', `Cannot listen on ${host}:${port}${inUse ? ': the port is in use' : ''}`, {
      hint: inUse ? 'Stop the other process on that port or set PORT to a free one.' : 'Check HOST and PORT.',
      cause,
    });
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => reject(new ApiListenError(host, port, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
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
 * Starts the API from the configuration: checks the dashboard credentials before anything else
 * (refusing to start without them), connects Redis and Postgres lazily-tolerant (the server comes
 * up while they are down and /readyz says so), and starts the model on the first search.
 */
export async function startApiServer(config: Config, logger: Logger): Promise<RunningApi> {
  const dashboard = resolveDashboardAccess(config);
  if (dashboard.open)
    logger.warn('DASHBOARD_DEV_MODE=true: the queue dashboard is served without credentials (loopback only)');

  const runtime = new Runtime(config, logger);
  // Resolving reads config files only (no session). A model that cannot be resolved leaves the
  // dashboard, health and metrics up; searches then answer with the named error. The dev model in
  // production is a deployment mistake, not an outage: refuse to start (exit 78).
  const configuredModel = await runtime.model().catch((error: unknown) => {
    if (codeOf(error) === 'DEV_MODEL_IN_PRODUCTION') throw error;
    logger.error({ err: error }, 'the configured model cannot be resolved: search is unavailable until it is fixed');
    return undefined;
  });

  const pool = runtime.pool();
  // An idle client's error (Postgres restarted) must not crash the process; the next query reconnects.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  // Searches keep session settings on their connections (SearchRepository): a pool of their own.
  const searchPool = runtime.pool();
  searchPool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const registry = createApiRegistry();
  // Requests fail fast while Redis is away (one retry), and ioredis keeps reconnecting forever.
  const redis = new IORedis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (error) => logger.debug({ err: error }, 'Redis connection error'));
  const queues = {
    embed: runtime.embedQueue(redis),
  };
  if (configuredModel) await migrateAtStart(modelRegistration(configuredModel, config), pool, logger);
  const searchModel = new LazySearchModel(async () =>
    runtime.startEmbedder(configuredModel ?? (await runtime.model()), { maxBatchSize: SEARCH_BATCH_SIZE }),
  );

  const search = createVectorSearch(searchPool, {
    efSearch: config.SEARCH_EF_SEARCH,
    exactMaxRows: config.SEARCH_EXACT_MAX_ROWS,
    registry,
  });
  const models = new ModelsRepository(pool);
  const links = duplicateLinks(pool, search);
  // New and changed vectors get their near-duplicate links in the background (pending in Postgres).
  const refresher = startLinksRefresher({
    links,
    model: async () => (await models.active())?.id,
    intervalMs: LINKS_REFRESH_INTERVAL_MS,
    onError: (error) => logger.warn({ err: error }, 'duplicate links: refresh failed; retrying'),
    onRefreshed: (count) => logger.debug({ count }, 'duplicate links refreshed'),
  });
  const app = createApp({
    expectedModel: configuredModel?.id,
    // A model fixed after start (files copied in) makes /readyz pass without a restart.
    resolveSearchModel: () => (configuredModel ? Promise.resolve(configuredModel) : runtime.model()),
    pool,
    redis,
    queuePrefix: config.QUEUE_PREFIX,
    queues,
    searchModel,
    search,
    duplicateLinks: links,
    registry,
    models,
    dashboard,
    searchLimits: {
      maxK: config.SEARCH_MAX_K,
      maxConcurrentUploads: config.SEARCH_MAX_CONCURRENT_UPLOADS,
    },
    imageMaxBytes: config.IMAGE_MAX_BYTES,
    imageFileRoots: imageFileRoots(config),
    production: config.NODE_ENV === 'production',
    intake: {
      token: config.INGEST_TOKEN,
      maxBodyBytes: config.INGEST_MAX_BODY_BYTES,
      queueWindow: config.QUEUE_WINDOW,
      model: async () => (configuredModel ?? (await runtime.model())).id,
    },
    logger,
  });
  const server = createServer(app);
  const close = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await refresher.stop();
    await searchModel.close();
    await queues.embed.close().catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
    await pool.end();
    await searchPool.end();
  };
  try {
    await listen(server, config.HOST, config.PORT);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, dashboard: `${url}/admin/queues`, readOnly: dashboard.readOnly }, `API listening on ${url}`);
  return { url, server, close };
}

/** How often the API looks for vectors whose near-duplicate links are to be computed. */
const LINKS_REFRESH_INTERVAL_MS = 2_000;

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
