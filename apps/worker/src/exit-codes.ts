import { EXIT_CANNOT_WORK, EXIT_RESTART, codeOf, meaningOf } from '@vectorizer/errors';

/** The exit code of a worker that could not start: the error registry decides (78 = do not restart). */
export function exitCodeForStartupError(error: unknown): typeof EXIT_RESTART | typeof EXIT_CANNOT_WORK {
  return meaningOf(codeOf(error)).exit;
}
