import { hostname } from 'node:os';
import type { Config } from '@vectorizer/config';
import { concurrencyFor } from '@vectorizer/devices';
import { Embedder, resolveModel, resolveOptionsFromConfig } from '@vectorizer/embedder';
import { ImageFetcher, decodeLimitsFromConfig, fetcherOptionsFromConfig, preprocessImage } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import { EmbedWorker, WorkerHeartbeat } from '@vectorizer/pipeline';
import { DeadLetterQueue, connectForCommand, createEmbedQueue, createWorkerConnection } from '@vectorizer/queue';
import { EmbeddingsRepository, createPool, runMigrations } from '@vectorizer/store';
import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import { EXIT_CLEAN, EXIT_CRASH } from './exit-codes';
import { applyThreadPlan } from './thread-plan';

/** Batch size when neither BATCH_SIZE nor the supervisor's plan sets one. */
const DEFAULT_BATCH_SIZE = 16;

/**
 * Start-up in the order that never burns a job: model self-test, then the schema, then Redis; only
 * then the queue consumer. Resolves with the exit code once the worker has shut down.
 */
export async function runWorkerProcess(config: Config, logger: Logger): Promise<number> {
  const device = config.VECTORIZER_DEVICE;
  const decodeLimits = decodeLimitsFromConfig(config);
  const threads = applyThreadPlan(config, logger);

  const model = await resolveModel(resolveOptionsFromConfig(config));
  if (model.isDevModel)
    logger.warn(
      { model: model.id },
      'running the generated dev model: its embeddings have random weights and mean nothing',
    );
  const embedder = await Embedder.start({
    model,
    device,
    allowCpuFallback: config.ALLOW_CPU_FALLBACK,
    maxBatchSize: config.BATCH_SIZE ?? DEFAULT_BATCH_SIZE,
    threads: threads.inferenceThreads,
    logger,
    decodeLimits,
  });

  const pool = createPool(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  // An idle connection dropped by the server emits here; unhandled, it would crash the process.
  // The next query fails instead, and the pipeline pauses until Postgres is back.
  pool.on('error', (error) => logger.warn({ err: error }, 'an idle PostgreSQL connection failed'));
  try {
    // Safe beside other workers and `vectorizer migrate` (advisory lock); refuses a dimension mismatch.
    await runMigrations(pool, { dimension: embedder.dimension, logger });
    const probe = await connectForCommand(config.REDIS_URL);
    probe.disconnect();
  } catch (error) {
    await Promise.allSettled([embedder.close(), pool.end()]);
    throw error;
  }

  const workerId = config.WORKER_ID ?? `${hostname()}-${device.replace(':', '')}-${process.pid}`;
  const batchSize = embedder.maxBatchSize;
  const concurrency = config.WORKER_CONCURRENCY ?? concurrencyFor(batchSize);
  const connection = createWorkerConnection(config.REDIS_URL);
  const retryPolicy = { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS };
  const embedQueue = createEmbedQueue({ connection, prefix: config.QUEUE_PREFIX, retryPolicy });
  // Redis outages surface here too; the worker's own handler already reports and rides them out.
  embedQueue.on('error', (error) => logger.debug({ err: error }, 'embed queue connection error'));
  const deadLetters = new DeadLetterQueue({ connection, prefix: config.QUEUE_PREFIX }, embedQueue);
  const fetcher = new ImageFetcher(fetcherOptionsFromConfig(config));
  const registry = createRegistry({ labels: { worker: workerId }, collectDefaults: true });
  const metrics = createPipelineMetrics(registry);
  const log = logger.child({ workerId });

  let finish: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let shuttingDown = false;

  const worker = new EmbedWorker({
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency,
    batch: { maxBatchSize: batchSize, maxWaitMs: config.BATCH_MAX_WAIT_MS },
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
    embedder,
    preprocessor: model.preprocessor,
    decodeLimits,
    preprocess: preprocessImage,
    fetcher,
    embeddings: new EmbeddingsRepository(pool),
    deadLetters,
    probes: {
      postgres: async () => {
        await pool.query('SELECT 1');
      },
      redis: async () => {
        await connection.ping();
      },
    },
    metrics,
    logger: log,
    onWorkerBroken: () => void shutdown(EXIT_CRASH, 'the embedder stopped working'),
  });
  const heartbeat = new WorkerHeartbeat({
    redis: connection,
    prefix: config.QUEUE_PREFIX,
    identity: {
      workerId,
      device,
      provider: embedder.provider,
      model: embedder.modelId,
      dimension: embedder.dimension,
      batchSize,
      concurrency,
    },
    state: () => worker.state,
    registry,
    healthFile: config.WORKER_HEALTH_FILE,
    logger: log,
  });

  async function shutdown(code: number, reason: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info(
      { reason, timeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS },
      'stopping: finishing the jobs in hand, taking no new ones',
    );
    const result = await worker.close(config.WORKER_SHUTDOWN_TIMEOUT_MS);
    if (result === 'timed-out') {
      log.error(
        { timeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS },
        'jobs did not finish in time; exiting, they return to the queue as stalled',
      );
      finish(EXIT_CRASH);
      return;
    }
    await heartbeat.stop();
    await Promise.allSettled([embedder.close(), fetcher.close(), deadLetters.close(), embedQueue.close(), pool.end()]);
    await connection.quit().catch(() => connection.disconnect());
    log.info('worker stopped');
    finish(code);
  }

  process.once('SIGTERM', () => void shutdown(EXIT_CLEAN, 'SIGTERM'));
  process.once('SIGINT', () => void shutdown(EXIT_CLEAN, 'SIGINT'));

  worker.start();
  await heartbeat.start();
  log.info(
    {
      model: embedder.modelId,
      dimension: embedder.dimension,
      provider: embedder.provider,
      batchSize,
      concurrency,
      prefix: config.QUEUE_PREFIX,
    },
    `worker ${workerId} taking jobs: batch ${batchSize}, concurrency ${concurrency}`,
  );
  return exited;
}
