import { ensureDevModel } from '@vectorizer/dev-model';
import { Embedder, resolveModel, type ResolvedModel } from '@vectorizer/embedder';
import { createLogger } from '@vectorizer/logger';
import { createEmbedQueue, type EmbedQueue } from '@vectorizer/queue';
import { apiServices, createApiRegistry } from '@vectorizer/runtime';
import type { LazyQueryEncoder } from '@vectorizer/search';
import { createPool, runMigrations } from '@vectorizer/store';
import { TEST_REDIS_URL, createMigratedSchema, devTinyModel, uniquePrefix, type TestSchema } from '@vectorizer/testing';
import type { Queue } from 'bullmq';
import type { Express } from 'express';
import IORedis, { type Redis } from 'ioredis';
import type { Pool } from 'pg';
import { createApp } from '../app';
import type { DashboardAccess } from '../dashboard/dashboard-access';

export interface ApiHarness {
  app: Express;
  schema: TestSchema;
  /** The pool the app uses (through a proxy when the test asked for one). */
  appPool: Pool;
  redis: Redis;
  prefix: string;
  queues: { embed: Queue };
  model: ResolvedModel;
  searchModel: LazyQueryEncoder;
  close(): Promise<void>;
}

export interface ApiHarnessOptions {
  dashboard?: DashboardAccess;
  /** Where the app's pool connects, e.g. a TCP proxy in front of the test database. */
  appDatabaseUrl?: string;
  readinessTimeoutMs?: number;
  /** Another Redis than the shared test server, e.g. a private redis-server. */
  redisUrl?: string;
  /**
   * Serve this database's public schema as it is (migrated and filled by a whole process, e.g. the
   * demo) instead of a fresh test schema; closing the harness leaves it to its owner.
   */
  databaseUrl?: string;
  /** Directories `GET /api/products/:id/image` may read file:// images from. */
  imageFileRoots?: string[];
  /** INGEST_TOKEN: POST/DELETE /api/products are off without one. */
  ingestToken?: string;
  /** SEARCH_EXACT_MAX_ROWS (default 3000). */
  exactMaxRows?: number;
  /** INGEST_MAX_BODY_BYTES (default 1 MiB here). */
  ingestMaxBodyBytes?: number;
}

/**
 * The real app on real services, isolated per test file: its own Postgres schema (migrated for
 * the tiny dev model's dimension), its own queue prefix in the shared Redis.
 */
export async function createApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const model = await devTinyModel({ ensureDevModel, resolveModel });
  const schema = options.databaseUrl
    ? existingDatabase(options.databaseUrl)
    : await createMigratedSchema({ createPool, runMigrations }, 'api', model, 4);
  const appPool = options.appDatabaseUrl
    ? createPool(options.appDatabaseUrl, { schema: schema.schema, max: 4 })
    : schema.pool;
  appPool.on('error', () => undefined); // the proxy test cuts connections on purpose
  // Searches get a pool of their own, as in production (libs/runtime/src/api-services.ts).
  const searchPool = createPool(options.appDatabaseUrl ?? schema.url, {
    schema: schema.schema === 'public' ? undefined : schema.schema,
    max: 2,
  });
  searchPool.on('error', () => undefined);
  const redis = new IORedis(options.redisUrl ?? TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const prefix = uniquePrefix('api');
  const queue: EmbedQueue = createEmbedQueue({
    connection: redis,
    prefix,
    retryPolicy: { attempts: 1, backoffMs: 1_000 },
  });
  const queues = { embed: queue as Queue };
  const logger = createLogger({ level: 'silent' });
  const services = apiServices({
    pool: appPool,
    searchPool,
    redis,
    queuePrefix: prefix,
    queue,
    registry: createApiRegistry(),
    searchModel: async () => model,
    expectedModel: model.id,
    startEncoder: (searched) =>
      Embedder.start({ model: searched, device: 'cpu', allowCpuFallback: false, maxBatchSize: 4, threads: 1, logger }),
    efSearch: 100,
    exactMaxRows: options.exactMaxRows ?? 3_000,
    maxK: 50,
    readinessTimeoutMs: options.readinessTimeoutMs,
    imageFileRoots: options.imageFileRoots ?? [],
    imageMaxBytes: 1024 * 1024,
    intake: {
      token: options.ingestToken,
      maxBodyBytes: options.ingestMaxBodyBytes ?? 1024 * 1024,
      queueWindow: 0,
      model: async () => model.id,
    },
    logger,
  });
  const { searchModel } = services;
  const app = createApp({
    ...services,
    dashboard: options.dashboard ?? { token: 'test-token', open: false, readOnly: false },
    logger,
  });
  return {
    app,
    schema,
    appPool,
    redis,
    prefix,
    queues,
    model,
    searchModel,
    async close() {
      await searchModel.close();
      await queues.embed.obliterate({ force: true });
      await queues.embed.close();
      const leftovers = await redis.keys(`${prefix}:*`);
      if (leftovers.length > 0) await redis.del(...leftovers);
      await redis.quit();
      if (appPool !== schema.pool) await appPool.end();
      await searchPool.end();
      await schema.drop();
    },
  };
}

/** A database someone else filled and will drop: the harness only opens and closes its pool. */
function existingDatabase(url: string): TestSchema {
  const pool = createPool(url, { max: 4 });
  return { schema: 'public', url, pool, drop: () => pool.end() };
}
