import { ensureDevModel } from '@vectorizer/dev-model';
import { Embedder, resolveModel, type ResolvedModel } from '@vectorizer/embedder';
import { ImageFetcher, planPreprocess } from '@vectorizer/images';
import { createLogger, type Logger } from '@vectorizer/logger';
import {
  DeadLetters,
  createEmbedQueue,
  createWorkerConnection,
  enqueueProducts,
  type EmbedQueue,
  type ProductToEmbed,
} from '@vectorizer/queue';
import { EmbeddingsRepository, ProductsRepository, createPool, runMigrations } from '@vectorizer/store';
import { TEST_REDIS_URL, createMigratedSchema, devTinyModel, uniquePrefix, type TestSchema } from '@vectorizer/testing';
import { createPipelineMetrics, createRegistry, type PipelineMetrics } from '@vectorizer/telemetry';
import type { Redis } from 'ioredis';
import { EmbedWorker, type EmbedWorkerOptions } from '../embed-worker';
import type { PixelEmbedder } from '../batch-embedder';
import { startImageServer, type ImageServer } from './image-server';

/** The real embedder, with every embedRgb call's batch size recorded. */
export interface CountingEmbedder extends PixelEmbedder {
  calls: number[];
}

export function countCalls(embedder: Embedder): CountingEmbedder {
  const calls: number[] = [];
  return {
    calls,
    modelId: embedder.modelId,
    dimension: embedder.dimension,
    embedRgb: (images) => {
      calls.push(images.length);
      return embedder.embedRgb(images);
    },
  };
}

export interface PipelineFixture {
  model: ResolvedModel;
  embedder: CountingEmbedder;
  schema: TestSchema;
  products: ProductsRepository;
  embeddings: EmbeddingsRepository;
  prefix: string;
  connection: Redis;
  queue: EmbedQueue;
  deadLetters: DeadLetters;
  images: ImageServer;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Inserts the products and enqueues one job each for the fixture's model. */
  ingest(products: ProductToEmbed[]): Promise<void>;
  /** An EmbedWorker wired to the fixture (not started); overrides win. */
  worker(overrides?: Partial<EmbedWorkerOptions>): EmbedWorker;
  rowCount(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Everything a pipeline test needs, isolated per test file: its own Postgres schema, its own queue
 * prefix on the shared Redis, a local image server and the tiny dev model on one CPU thread.
 */
export async function startPipelineFixture(
  name: string,
  retry = { attempts: 3, backoffMs: 20 },
  redisUrl = TEST_REDIS_URL,
  options: { poison?: 'black' } = {},
): Promise<PipelineFixture> {
  const logger = createLogger({ level: 'silent' });
  const model = await devTinyModel({ ensureDevModel, resolveModel }, options.poison);
  const realEmbedder = await Embedder.start({
    model,
    device: 'cpu',
    allowCpuFallback: false,
    maxBatchSize: 8,
    threads: 1,
    logger,
  });
  const embedder = countCalls(realEmbedder);
  const schema = await createMigratedSchema({ createPool, runMigrations }, name, model, 4);
  const prefix = uniquePrefix(name);
  const connection = createWorkerConnection(redisUrl);
  const queue = createEmbedQueue({ connection, prefix, retryPolicy: retry });
  queue.on('error', () => undefined);
  const deadLetters = new DeadLetters(queue);
  const images = await startImageServer();
  const fetcher = new ImageFetcher({
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    maxBytes: 1_000_000,
    maxRedirects: 2,
    perHostConcurrency: 16,
    allowPrivateNetworks: true,
    userAgent: 'vectorizer-test',
  });
  const metrics = createPipelineMetrics(createRegistry());
  const products = new ProductsRepository(schema.pool);
  const embeddings = new EmbeddingsRepository(schema.pool);
  const workers: EmbedWorker[] = [];
  const workerConnections: Redis[] = [];

  return {
    model,
    embedder,
    schema,
    products,
    embeddings,
    prefix,
    connection,
    queue,
    deadLetters,
    images,
    metrics,
    logger,
    async ingest(items) {
      await products.upsertMany(items.map((item) => ({ id: item.id, imageUrl: item.imageUrl })));
      await enqueueProducts({ queue, connection }, items, model.id);
    },
    worker(overrides = {}) {
      const workerConnection = createWorkerConnection(redisUrl);
      workerConnections.push(workerConnection);
      const worker = new EmbedWorker({
        connection: workerConnection,
        prefix,
        concurrency: 8,
        batch: { maxBatchSize: 8, maxWaitMs: 20 },
        lockDurationMs: 30_000,
        stalledIntervalMs: 30_000,
        embedder,
        preprocessor: model.preprocessor,
        decodeLimits: { maxBytes: 1_000_000, maxPixels: 10_000_000, timeoutMs: 5_000 },
        preprocess: planPreprocess,
        decodeMemoryBudgetBytes: 256 * 1024 * 1024,
        fetcher,
        embeddings,
        probes: {
          postgres: async () => {
            await schema.pool.query('SELECT 1');
          },
          redis: async () => {
            await workerConnection.ping();
          },
        },
        metrics,
        logger,
        postponeMs: 100,
        outageProbe: { initialIntervalMs: 50, maxIntervalMs: 200 },
        ...overrides,
      });
      workers.push(worker);
      return worker;
    },
    async rowCount() {
      const { rows } = await schema.pool.query<{ count: string }>('SELECT count(*) AS count FROM product_embeddings');
      return Number(rows[0]?.count ?? 0);
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close(10_000)));
      await queue.obliterate({ force: true }).catch(() => undefined);
      await Promise.allSettled([queue.close(), fetcher.close(), images.close(), realEmbedder.close()]);
      await Promise.all([connection, ...workerConnections].map((c) => c.quit().catch(() => c.disconnect())));
      await schema.drop();
    },
  };
}

export { eventually } from '@vectorizer/testing';
