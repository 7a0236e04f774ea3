import { type Config, loadConfig } from '@vectorizer/config';
import { createLogger, exitWithFatal, type Logger } from '@vectorizer/logger';

export interface CommandContext {
  config: Config;
  logger: Logger;
}

/**
 * Loads config and a logger for one command and runs it; any error becomes one fatal log line with
 * its cause and fix, then a non-zero exit. Logs go to stderr so stdout stays machine-readable.
 */
export async function runCommand(
  component: string,
  action: (ctx: CommandContext) => Promise<number | void>,
): Promise<void> {
  let logger = createLogger({ destination: process.stderr, base: { component } });
  try {
    const config = loadConfig();
    logger = createLogger({
      destination: process.stderr,
      level: config.LOG_LEVEL,
      format: config.LOG_FORMAT,
      base: { component },
    });
    const code = await action({ config, logger });
    process.exitCode = code ?? 0;
  } catch (error) {
    exitWithFatal(logger, error, `${component} failed`);
  }
}
