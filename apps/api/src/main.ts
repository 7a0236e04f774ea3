import { loadConfig } from '@vectorizer/config';
import { codeOf, meaningOf } from '@vectorizer/errors';
import { createLogger, exitWithFatal } from '@vectorizer/logger';
import { startApiServer } from './server';

/**
 * The API process for deployments that run it directly (`node --import tsx apps/api/src/main.ts`);
 * `npx vectorizer serve` does the same through the CLI. SIGTERM/SIGINT close it gracefully.
 */
async function main(): Promise<void> {
  let logger = createLogger({ base: { component: 'api' } });
  try {
    const config = loadConfig();
    logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, base: { component: 'api' } });
    const api = await startApiServer(config, logger);
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      api.close().then(
        () => process.exit(0),
        (error: unknown) => exitWithFatal(logger, error, 'shutdown failed'),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (error) {
    // The registry decides: 78 (a configuration an operator must fix) is not worth a restart.
    exitWithFatal(logger, error, 'api failed to start', meaningOf(codeOf(error)).exit);
  }
}

void main();
