import { startIntakeWatch, type IntakeWatch } from '@vectorizer/intake';
import { createWorkerConnection } from '@vectorizer/queue';
import type { Runtime } from './runtime';

/**
 * The listener + reconcile loop (`vectorizer watch`, and the worker's parent process unless
 * WATCH=false) on connections that ride out outages (a lazy pool and a Redis connection that
 * reconnects forever): both run for hours.
 */
export async function startIntakeWatcher(
  runtime: Runtime,
  model: string,
): Promise<{ stop(): Promise<void>; watch: IntakeWatch }> {
  const { config, logger } = runtime;
  const pool = runtime.pool({
    max: 2,
    onIdleError: (error) => logger.debug({ err: error }, 'idle PostgreSQL connection lost'),
  });
  const connection = createWorkerConnection(config.REDIS_URL);
  const queue = runtime.embedQueue(connection);
  const watch = startIntakeWatch({
    databaseUrl: config.DATABASE_URL,
    pool,
    queue: { queue, connection },
    queueWindow: config.QUEUE_WINDOW,
    model,
    reconcileIntervalMs: config.RECONCILE_INTERVAL_MS,
    probeTimeoutMs: config.DEPENDENCY_PROBE_TIMEOUT_MS,
    logger,
  });
  return {
    watch,
    stop: async () => {
      await watch.stop();
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
      await pool.end();
    },
  };
}
