import { loadConfig } from '@vectorizer/config';
import { createLogger, exitWithFatal } from '@vectorizer/logger';
import { EXIT_RESTART } from '@vectorizer/errors';
import { exitCodeForStartupError } from './exit-codes';
import { runWorkerProcess } from './worker-process';

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
    const exitCode = await runWorkerProcess(config, logger);
    process.exit(exitCode);
  } catch (error) {
    exitWithFatal(logger, error, 'worker cannot start', exitCodeForStartupError(error));
  }
}

process.on('unhandledRejection', (reason) => {
  exitWithFatal(createLogger({ base: { component: 'worker' } }), reason, 'unhandled rejection', EXIT_RESTART);
});

void main();
