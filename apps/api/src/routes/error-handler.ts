import { VectorizerError, describeError, meaningOf } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import type { ErrorRequestHandler } from 'express';

/**
 * Every failed request answers `{ error: { code, message, hint } }`. Our own errors say what was
 * wrong; anything else is logged with its stack and answered without internals.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status =
      error instanceof VectorizerError
        ? meaningOf(error.code).http // the error registry decides
        : typeof (error as { status?: unknown }).status === 'number' && (error as { status: number }).status < 500
          ? (error as { status: number }).status // body-parser / express's own 4xx (e.g. malformed JSON)
          : 500;
    if (status >= 500) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    if (error instanceof VectorizerError) {
      // An error raised without its own hint gets the registry's default fix.
      const hint = error.hint ?? meaningOf(error.code).hint;
      res.status(status).json({ error: { code: error.code, message: error.message, hint } });
      return;
    }
    const described = describeError(error);
    res.status(status).json({
      error:
        status >= 500
          ? { code: 'INTERNAL_ERROR', message: 'Internal server error' }
          : { code: 'REQUEST_INVALID', message: described.message },
    });
  };
}
