import { hostname } from 'node:os';
import type { Config } from '@vectorizer/config';
import { CPU_BATCH_SIZE, concurrencyFor } from '@vectorizer/devices';
import { Runtime } from '@vectorizer/runtime';
import { ImageFetcher, decodeLimitsFromConfig, fetcherOptionsFromConfig, planPreprocess } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import { EmbedWorker, WorkerHeartbeat } from '@vectorizer/pipeline';
import { announceWorkerReady } from '@vectorizer/supervisor';
import { createRedisProbe, createWorkerConnection } from '@vectorizer/queue';
import { EmbeddingsRepository, probePostgres, modelRegistration, runMigrations } from '@vectorizer/store';
import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import { EXIT_CLEAN, EXIT_RESTART, settlesWithin } from '@vectorizer/errors';
import { applyThreadPlan } from './thread-plan';

/**
 * Start-up in the order that never burns a job (main.ts has checked both services): model
 * self-test, then the schema; only then the queue consumer. Resolves with the exit code once the worker has shut down.
 *
 * `takeOverStop` receives the graceful stop right before the first job can be taken: the caller
 * routes SIGTERM/SIGINT (and the supervisor going away) to it from then on.
 */
export async function runWorkerProcess(
  config: Config,
  logger: Logger,
  takeOverStop: (stop: (reason: string) => void) => void = () => undefined,
): Promise<number> {
  const device = config.VECTORIZER_DEVICE;
  const decodeLimits = decodeLimitsFromConfig(config);

  const runtime = new Runtime(config, logger);
  const model = await runtime.model();
  const threads = applyThreadPlan(config, logger);
  const embedder = await runtime.startEmbedder(model, {
    device,
    // Unset without a supervisor (which plans it from VRAM): the CPU worker's batch.
    maxBatchSize: config.BATCH_SIZE ?? CPU_BATCH_SIZE,
    threads: threads.inferenceThreads,
    decodeLimits,
  });

  const pool = runtime.pool();
  // An idle connection dropped by the server emits here; unhandled, it would crash the process.
  // The next query fails instead, and the pipeline pauses until Postgres is back.
  pool.on('error', (error) => logger.warn({ err: error }, 'an idle PostgreSQL connection failed'));
  try {
    // Safe beside other workers and `vectorizer migrate` (advisory lock). Registers the model when
    // new (beside the others, never touching the active model's vectors); refuses an id whose
    // registered dimension differs.
    await runMigrations(pool, {
      model: modelRegistration({ id: model.id, dimension: embedder.dimension, dtype: model.dtype }, config),
      logger,
    });
  } catch (error) {
    await Promise.allSettled([embedder.close(), pool.end()]);
    throw error;
  }

  const workerId = config.WORKER_ID ?? `${hostname()}-${device.replace(':', '')}-${process.pid}`;
  const batchSize = embedder.maxBatchSize;
  const concurrency = config.WORKER_CONCURRENCY ?? concurrencyFor(batchSize);
  const connection = createWorkerConnection(config.REDIS_URL);
  const redisProbe = createRedisProbe(config.REDIS_URL, config.DEPENDENCY_PROBE_TIMEOUT_MS);
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
    preprocess: planPreprocess,
    decodeMemoryBudgetBytes: config.WORKER_DECODE_MEMORY_MB * 1024 * 1024,
    fetcher,
    embeddings: new EmbeddingsRepository(pool),
    probes: {
      postgres: () => probePostgres(config.DATABASE_URL, { timeoutMs: config.DEPENDENCY_PROBE_TIMEOUT_MS }),
      redis: redisProbe.probe,
    },
    metrics,
    logger: log,
    onWorkerBroken: () => void shutdown(EXIT_RESTART, 'the embedder stopped working'),
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

  /**
   * Stops within WORKER_SHUTDOWN_TIMEOUT_MS whatever state Redis and Postgres are in: the jobs in
   * hand finish or go back, then the connections close; whatever is still hanging at the deadline
   * is abandoned (the stalled-job check returns unfinished jobs) and the exit code says so.
   */
  async function shutdown(code: number, reason: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    const timeoutMs = config.WORKER_SHUTDOWN_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    log.info({ reason, timeoutMs }, 'stopping: finishing the jobs in hand, taking no new ones');
    const result = await worker.close(timeoutMs);
    if (result === 'timed-out') {
      log.error({ timeoutMs }, 'jobs did not finish in time; exiting, they return to the queue as stalled');
      finish(EXIT_RESTART);
      return;
    }
    const released = await settlesWithin(Math.max(0, deadline - Date.now()), async () => {
      await heartbeat.stop();
      redisProbe.close();
      await Promise.allSettled([embedder.close(), fetcher.close(), pool.end()]);
      await connection.quit();
    });
    if (!released) {
      log.warn({ timeoutMs }, 'connections did not close in time (a dependency is down); exiting anyway');
      connection.disconnect();
    } else {
      log.info('worker stopped');
    }
    finish(code);
  }

  takeOverStop((reason) => void shutdown(EXIT_CLEAN, reason));
  // An orphan would hold its device and jobs unsupervised; a restarted supervisor starts a new one.
  process.once('disconnect', () => void shutdown(EXIT_CLEAN, 'the supervisor went away'));
  // The supervisor starts intake for this model only after this line: a broken worker enqueues nothing.
  announceWorkerReady(embedder.modelId);
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
