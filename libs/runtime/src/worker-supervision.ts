import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerPlan } from '@vectorizer/devices';
import { pendingInPostgres } from '@vectorizer/intake';
import { getQueueStats, isDrained, type QueueStats } from '@vectorizer/queue';
import { EmbeddingsRepository } from '@vectorizer/store';
import {
  WorkerSupervisor,
  checkWorkerHealth,
  defaultWorkerEntry,
  repoRoot,
  waitUntilDrained,
  type HealthResult,
  type IntakeHandle,
} from '@vectorizer/supervisor';
import type pg from 'pg';
import type { QueueServices, Runtime } from './runtime';

/** Grace beyond the worker's own shutdown timeout before the supervisor SIGKILLs it. */
const KILL_GRACE_MS = 5_000;
const DRAIN_POLL_MS = 2_000;
const DRAIN_RETRY_MAX_MS = 30_000;

/** The container health check: every device's worker on this host reported healthy lately (WORKER_HEALTH_FILE). */
export function workerHealth(runtime: Runtime): Promise<HealthResult> {
  return checkWorkerHealth(runtime.config.WORKER_HEALTH_FILE);
}

/**
 * True when a drain would have nothing to do: no job waiting, active or delayed and, with the
 * reconcile loop on (WATCH), no product of the configured model pending in Postgres. Redis down is
 * an error (REDIS_UNAVAILABLE); a database that cannot answer the count (not migrated yet) counts as
 * work to do, and the workers say what is wrong with it.
 */
export async function nothingToDrain(runtime: Runtime): Promise<boolean> {
  const { config, logger } = runtime;
  const queues = await runtime.openQueues();
  let stats: QueueStats;
  try {
    stats = await getQueueStats(queues.queue);
  } finally {
    await queues.close();
  }
  if (!isDrained(stats)) return false;
  if (!config.WATCH) return true;
  const model = await runtime.modelId();
  let pool: pg.Pool | undefined;
  try {
    pool = await runtime.openDatabase({ max: 1 });
    return pendingInPostgres(await new EmbeddingsRepository(pool).countMissing(model), stats) === 0;
  } catch (error) {
    logger.debug({ err: error }, 'could not count the products pending in Postgres; starting the workers');
    return false;
  } finally {
    await pool?.end();
  }
}

export interface WorkerSupervisionOptions {
  plans: readonly WorkerPlan[];
  /** Another script in place of the worker process (tests, debugging). */
  entry?: string;
  /** Stop the workers once the queue (and, with intake, Postgres' backlog) has drained. */
  drain?: boolean;
  /** Product intake, started for the model the first ready worker proved. */
  startIntake?: (model: string) => Promise<IntakeHandle>;
}

/** The running workers of this host: `run()` resolves with the supervisor's exit code. */
export interface WorkerSupervision {
  run(): Promise<number>;
  /** Graceful stop; a second call kills the workers at once. */
  stop(reason: string): void;
}

/**
 * One worker process per plan, restarted when it crashes, stopped within the worker's shutdown
 * timeout plus a grace; with `drain`, stopped once the queue has drained.
 */
export function superviseWorkers(runtime: Runtime, options: WorkerSupervisionOptions): WorkerSupervision {
  const { config, logger } = runtime;
  const supervisor = new WorkerSupervisor({
    plans: options.plans,
    entry: options.entry ?? defaultWorkerEntry(),
    cwd: repoRoot(),
    // Children read their configuration from the environment like any vectorizer process.
    baseEnv: process.env,
    logger,
    shutdownTimeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS + KILL_GRACE_MS,
    healthFile: config.WORKER_HEALTH_FILE,
    startIntake: options.startIntake,
  });
  return {
    stop: (reason) => supervisor.stop(reason),
    async run() {
      const drainAbort = new AbortController();
      const running = supervisor.run();
      const drain = options.drain ? drainThenStop(runtime, supervisor, drainAbort.signal) : undefined;
      try {
        return await running;
      } finally {
        drainAbort.abort();
        // Its queue and pool are closed before the process goes on to exit.
        await drain;
      }
    },
  };
}

/**
 * Stops the workers once the queue has drained and (with intake running) nothing of the proven model
 * is pending in Postgres. A failed poll (Redis or Postgres down for a while) is one line, and the
 * watch resumes with backoff: the workers pause through the outage and the drain finishes after it.
 */
async function drainThenStop(runtime: Runtime, supervisor: WorkerSupervisor, signal: AbortSignal): Promise<void> {
  const { logger } = runtime;
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      if (await watchUntilDrained(runtime, supervisor, signal)) {
        logger.info('queue drained: nothing waiting, active or delayed');
        supervisor.stop('queue drained');
      }
      return;
    } catch (error) {
      // The failed attempt's connections are closed already: none stays open through the backoff.
      const retryInMs = Math.min(DRAIN_RETRY_MAX_MS, DRAIN_POLL_MS * 2 ** (attempt - 1));
      logger.warn({ err: error, attempt, retryInMs }, `--drain cannot watch the queue; retrying in ${retryInMs} ms`);
      await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** One watch on its own queue and pool, both closed when it ends: true once drained, false if aborted. */
async function watchUntilDrained(
  runtime: Runtime,
  supervisor: WorkerSupervisor,
  signal: AbortSignal,
): Promise<boolean> {
  let queues: QueueServices | undefined;
  let pool: pg.Pool | undefined;
  try {
    queues = await runtime.openQueues();
    if (runtime.config.WATCH) pool = await runtime.openDatabase({ max: 1 });
    const embeddings = pool && new EmbeddingsRepository(pool);
    const backlog =
      embeddings &&
      (async (stats: QueueStats) => {
        const model = supervisor.provenModel;
        // Before a worker proved its model, intake has not run: nothing says the backlog is empty.
        if (model === undefined) return 1;
        return pendingInPostgres(await embeddings.countMissing(model), stats);
      });
    return await waitUntilDrained(queues.queue, { pollMs: DRAIN_POLL_MS, signal, backlog });
  } finally {
    await queues?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
  }
}
