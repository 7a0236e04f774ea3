import { VectorizerError, describeError } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import type { ErrorRequestHandler } from 'express';

/** The HTTP status for each error code a request can run into; unlisted codes are server errors. */
export function statusForCode(code: string): number {
  if (code === 'SEARCH_INPUT_INVALID' || code === 'INVALID_STORE_INPUT' || code === 'REQUEST_INVALID') return 400;
  if (code === 'PRODUCT_NOT_FOUND' || code === 'ROUTE_NOT_FOUND') return 404;
  if (code === 'PRODUCT_NOT_EMBEDDED') return 409;
  if (code === 'IMAGE_TOO_LARGE') return 413;
  if (code.startsWith('IMAGE_')) return 422;
  if (code === 'TEXT_MODEL_UNAVAILABLE') return 501;
  if (
    /^(MODEL_|CUDA_|INFERENCE_|EXECUTION_PROVIDER_|EMBEDDER_|SCHEMA_NOT_READY|VECTOR_DIMENSION_MISMATCH|PGVECTOR_)/.test(
      code,
    )
  )
    return 503;
  return 500;
}

/**
 * Every failed request answers `{ error: { code, message, hint } }`. Our own errors say what was
 * wrong; anything else is logged with its stack and answered without internals.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status =
      error instanceof VectorizerError
        ? statusForCode(error.code)
        : typeof (error as { status?: unknown }).status === 'number' && (error as { status: number }).status < 500
          ? (error as { status: number }).status // body-parser / express's own 4xx (e.g. malformed JSON)
          : 500;
    if (status >= 500) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    if (error instanceof VectorizerError) {
      res.status(status).json({ error: { code: error.code, message: error.message, hint: error.hint } });
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
