import { describeError } from '@vectorizer/errors';
import type { Logger } from 'pino';

/**
 * Logs a start-up failure with its type, code, message, cause and fix hint, then exits non-zero.
 * Every process entry point funnels unrecoverable errors through here.
 */
export function exitWithFatal(logger: Logger, error: unknown, context = 'start-up failed', exitCode = 1): never {
  const described = describeError(error);
  logger.fatal(
    { errorType: described.type, code: described.code, cause: described.cause, hint: described.hint, err: error },
    `${context}: ${described.message}${described.hint ? ` — fix: ${described.hint}` : ''}`,
  );
  process.exit(exitCode);
}
