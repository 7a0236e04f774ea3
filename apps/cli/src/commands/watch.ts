import type { Command } from 'commander';
import { startIntakeWatch, type IntakeWatch } from '@vectorizer/intake';
import { createWorkerConnection } from '@vectorizer/queue';
import type { Runtime } from '@vectorizer/runtime';
import { runCommand } from '../context';

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description(
      'Enqueue products that any loader (plain SQL included) inserts or re-points in Postgres: the LISTEN/NOTIFY ' +
        'listener (one leader per cluster) and the reconcile loop that tops the queue window up. `worker` runs it too.',
    )
    .option('--model <id>', 'model id (default: the configured model)')
    .action((opts: { model?: string }) =>
      runCommand('watch', async ({ runtime }) => {
        const model = await runtime.modelId(opts.model);
        const watch = await startWatch(runtime, model);
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
export async function startWatch(
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
