import { hostname } from 'node:os';
import { CPU_BATCH_SIZE, concurrencyFor } from '@vectorizer/devices';
import { settlesWithin } from '@vectorizer/errors';
import { ImageFetcher, decodeLimitsFromConfig, fetcherOptionsFromConfig, planPreprocess } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import { EmbedWorker, WorkerHeartbeat, type WorkerHeartbeatOptions } from '@vectorizer/pipeline';
import { connectForCommand, createRedisProbe, createWorkerConnection } from '@vectorizer/queue';
import { EmbeddingsRepository, modelRegistration, probePostgres, runMigrations } from '@vectorizer/store';
import { announceWorkerReady } from '@vectorizer/supervisor';
import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import type { Runtime } from './runtime';
import { applyWorkerThreadPlan } from './worker-threads';

/** How long each service gets to answer the worker's start-up check. */
const SERVICE_CHECK_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL and Redis, each on a fresh connection bounded in time, before anything else (and the
 * only time the worker probes them at start): a failure is one error naming the service, its URL
 * (password masked), the cause and the fix, and its code tells the supervisor whether to wait (the
 * server is down) or give up (wrong password, no database).
 */
export async function checkWorkerServices(runtime: Runtime): Promise<void> {
  const { config } = runtime;
  await probePostgres(config.DATABASE_URL, { timeoutMs: SERVICE_CHECK_TIMEOUT_MS });
  const redis = await connectForCommand(config.REDIS_URL, { connectTimeoutMs: SERVICE_CHECK_TIMEOUT_MS });
  redis.disconnect();
}

/** Who this worker is and how it takes jobs, as its heartbeat publishes it. */
export type WorkerProcessIdentity = WorkerHeartbeatOptions['identity'];

/**
 * How a bounded stop ended: every job in hand finished or went back and every connection closed;
 * jobs still ran at the deadline (they return to the queue as stalled); or the jobs ended but a
 * connection did not close in time (a dependency is down) and was dropped.
 */
export type WorkerStopOutcome = 'stopped' | 'jobs-timed-out' | 'connections-abandoned';

/** One device's worker, ready to take jobs: its model passed the self-test and the schema is in place. */
export interface WorkerProcessServices {
  readonly identity: WorkerProcessIdentity;
  /** The process's logger, bound to its worker id. */
  readonly logger: Logger;
  /** Tells the supervisor (over IPC) this worker is ready, then takes jobs and starts its heartbeat. */
  start(): Promise<void>;
  /** Finishes or gives back the jobs in hand and closes every connection within `timeoutMs`. */
  stop(timeoutMs: number): Promise<WorkerStopOutcome>;
}

/**
 * The worker process's services, in the order that never burns a job: the model and its self-test
 * (the embedder sized by the plan the supervisor put in the environment), then the migrations and
 * the model's registration; only then the queue consumer, which `start()` sets going.
 * `onBroken` is called once if the embedder stops working (the process should exit and be restarted).
 */
export async function openWorkerProcess(
  runtime: Runtime,
  options: { onBroken: () => void },
): Promise<WorkerProcessServices> {
  const { config, logger } = runtime;
  const device = config.VECTORIZER_DEVICE;

  const model = await runtime.model();
  const threads = applyWorkerThreadPlan(runtime);
  const embedder = await runtime.startEmbedder(model, {
    // Unset without a supervisor (which plans it from VRAM): the CPU worker's batch.
    maxBatchSize: config.BATCH_SIZE ?? CPU_BATCH_SIZE,
    threads: threads.inferenceThreads,
  });

  // An idle connection the server dropped is worth a warning: the next query fails and the
  // pipeline pauses until Postgres is back.
  const pool = runtime.pool({
    onIdleError: (error) => logger.warn({ err: error }, 'an idle PostgreSQL connection failed'),
  });
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
  const log = logger.child({ workerId });

  const worker = new EmbedWorker({
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency,
    batch: { maxBatchSize: batchSize, maxWaitMs: config.BATCH_MAX_WAIT_MS },
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
    embedder,
    preprocessor: model.preprocessor,
    decodeLimits: decodeLimitsFromConfig(config),
    preprocess: planPreprocess,
    decodeMemoryBudgetBytes: config.WORKER_DECODE_MEMORY_MB * 1024 * 1024,
    fetcher,
    embeddings: new EmbeddingsRepository(pool),
    probes: {
      postgres: () => probePostgres(config.DATABASE_URL, { timeoutMs: config.DEPENDENCY_PROBE_TIMEOUT_MS }),
      redis: redisProbe.probe,
    },
    metrics: createPipelineMetrics(registry),
    logger: log,
    onWorkerBroken: () => options.onBroken(),
  });
  const identity: WorkerProcessIdentity = {
    workerId,
    device,
    provider: embedder.provider,
    model: embedder.modelId,
    dimension: embedder.dimension,
    batchSize,
    concurrency,
  };
  const heartbeat = new WorkerHeartbeat({
    redis: connection,
    prefix: config.QUEUE_PREFIX,
    identity,
    state: () => worker.state,
    registry,
    healthFile: config.WORKER_HEALTH_FILE,
    logger: log,
  });

  return {
    identity,
    logger: log,
    async start() {
      // The supervisor starts intake for this model only after this message: a broken worker enqueues nothing.
      announceWorkerReady(embedder.modelId);
      worker.start();
      await heartbeat.start();
    },
    /**
     * Whatever state Redis and Postgres are in: the jobs in hand finish or go back, then the
     * connections close; whatever still hangs at the deadline is abandoned (the stalled-job check
     * returns unfinished jobs).
     */
    async stop(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      // A close that fails still leaves the connections to close within the deadline.
      const jobs = await worker.close(timeoutMs).catch((error: unknown) => {
        log.error({ err: error }, 'the queue worker did not close cleanly');
        return 'failed' as const;
      });
      if (jobs === 'timed-out') return 'jobs-timed-out';
      const released = await settlesWithin(Math.max(0, deadline - Date.now()), async () => {
        await heartbeat.stop();
        redisProbe.close();
        await Promise.allSettled([embedder.close(), fetcher.close(), pool.end()]);
        await connection.quit();
      }).catch((error: unknown) => {
        log.warn({ err: error }, 'a connection did not close cleanly; dropping it');
        return false;
      });
      if (released) return 'stopped';
      connection.disconnect();
      return 'connections-abandoned';
    },
  };
}
