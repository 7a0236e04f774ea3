import type { Command } from 'commander';
import type { Config } from '@vectorizer/config';
import { startIntakeWatch, type IntakeWatch } from '@vectorizer/intake';
import type { Logger } from '@vectorizer/logger';
import { createEmbedQueue, createWorkerConnection, retentionFromSettings } from '@vectorizer/queue';
import { createPool, poolOptionsFromConfig } from '@vectorizer/store';
import { runCommand } from '../context';
import { currentModelId } from '../command-services';

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description(
      'Enqueue products that any loader (plain SQL included) inserts or re-points in Postgres: the LISTEN/NOTIFY ' +
        'listener (one leader per cluster) and the reconcile loop that tops the queue window up. `worker` runs it too.',
    )
    .option('--model <id>', 'model id (default: the configured model)')
    .action((opts: { model?: string }) =>
      runCommand('watch', async ({ config, logger }) => {
        const model = await currentModelId(config, logger, opts.model);
        const watch = await startWatchFromConfig(config, logger, model);
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        await watch.stop();
      }),
    );
}

/**
 * The listener + reconcile loop on connections that ride out outages (the pool and a Redis
 * connection that reconnects forever): `watch` and the worker's parent process run it for hours.
 */
export async function startWatchFromConfig(
  config: Config,
  logger: Logger,
  model: string,
): Promise<{ stop(): Promise<void>; watch: IntakeWatch }> {
  const pool = createPool(config.DATABASE_URL, {
    ...poolOptionsFromConfig(config),
    max: 2,
    onIdleError: (error) => logger.debug({ err: error }, 'idle PostgreSQL connection lost'),
  });
  const connection = createWorkerConnection(config.REDIS_URL);
  const queue = createEmbedQueue({
    connection,
    prefix: config.QUEUE_PREFIX,
    retryPolicy: { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS },
    retention: retentionFromSettings(config),
  });
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
