import { loadConfig } from '@vectorizer/config';
import { createLogger, exitWithFatal, type Logger } from '@vectorizer/logger';
import { EXIT_CLEAN, EXIT_RESTART } from '@vectorizer/errors';
import { Runtime, checkWorkerServices, startWorkerTracing } from '@vectorizer/runtime';
import { exitCodeForStartupError } from './exit-codes';
import { runWorkerProcess } from './worker-process';

/**
 * The process the supervisor (`vectorizer worker`) starts once per device. Exit 0 after a clean
 * shutdown, 78 when the model or configuration cannot work, anything else for a crash.
 */
let logger: Logger = createLogger({ base: { component: 'worker' } });

/**
 * Until the worker may hold jobs (it announced itself ready), a stop request ends the process at
 * once with 0: nothing is in hand, and a model load or a migration need not finish first (an open
 * migration transaction is rolled back with the connection). runWorkerProcess takes over after that.
 */
let onStopRequest = (signal: NodeJS.Signals): void => {
  logger.info({ signal }, `${signal} while starting: exiting before taking any job`);
  process.exit(EXIT_CLEAN);
};
process.on('SIGTERM', (signal) => onStopRequest(signal));
process.on('SIGINT', (signal) => onStopRequest(signal));

async function main(): Promise<void> {
  try {
    const config = loadConfig();
    logger = createLogger({
      level: config.LOG_LEVEL,
      format: config.LOG_FORMAT,
      base: { component: 'worker', device: config.VECTORIZER_DEVICE },
    });
    const runtime = new Runtime(config, logger);
    // Both dependencies, once, before anything else: a failure is one line with its cause and fix.
    await checkWorkerServices(runtime);
    // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; the spans buffered at the end are exported before exit.
    const tracing = startWorkerTracing(runtime);
    const exitCode = await runWorkerProcess(runtime, (stop) => {
      onStopRequest = stop;
    });
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
