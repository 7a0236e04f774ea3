import { type Config, loadConfig } from '@vectorizer/config';
import { createLogger, exitWithFatal } from '@vectorizer/logger';
import { EXIT_RESTART } from '@vectorizer/errors';
import { connectForCommand } from '@vectorizer/queue';
import { probePostgres } from '@vectorizer/store';
import { startTracing } from '@vectorizer/telemetry';
import { exitCodeForStartupError } from './exit-codes';
import { runWorkerProcess } from './worker-process';

/** How long each service gets to answer the start-up check. */
const SERVICE_CHECK_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL and Redis, each on a fresh connection bounded in time, before anything else: a failure
 * is one line naming the service, its URL (password masked), the cause and the fix, and its code
 * tells the supervisor whether to wait (the server is down) or give up (wrong password, no database).
 */
async function checkServices(config: Config): Promise<void> {
  await probePostgres(config.DATABASE_URL, { timeoutMs: SERVICE_CHECK_TIMEOUT_MS });
  const redis = await connectForCommand(config.REDIS_URL, { connectTimeoutMs: SERVICE_CHECK_TIMEOUT_MS });
  redis.disconnect();
}

/**
 * The process the supervisor (`vectorizer worker`) starts once per device. Exit 0 after a clean
 * shutdown, 78 when the model or configuration cannot work, anything else for a crash.
 */
async function main(): Promise<void> {
  let logger = createLogger({ base: { component: 'worker' } });
  try {
    const config = loadConfig();
    logger = createLogger({
      level: config.LOG_LEVEL,
      format: config.LOG_FORMAT,
      base: { component: 'worker', device: config.VECTORIZER_DEVICE },
    });
    await checkServices(config);
    // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; the spans buffered at the end are exported before exit.
    const tracing = startTracing(config, 'vectorizer-worker');
    const exitCode = await runWorkerProcess(config, logger);
    await tracing?.shutdown().catch(() => undefined);
    process.exit(exitCode);
  } catch (error) {
    exitWithFatal(logger, error, 'worker cannot start', exitCodeForStartupError(error));
  }
}

process.on('unhandledRejection', (reason) => {
  exitWithFatal(createLogger({ base: { component: 'worker' } }), reason, 'unhandled rejection', EXIT_RESTART);
});

void main();
