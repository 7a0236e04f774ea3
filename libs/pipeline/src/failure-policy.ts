import { DependencyUnavailableError } from './errors';

/**
 * What happens to a job whose attempt failed:
 * - retry:       the cause may go away (timeout, HTTP 5xx/429, GPU OOM); BullMQ retries with backoff,
 *                the last failed attempt dead-letters.
 * - dead-letter: retrying cannot help (404, not an image, corrupt, too large, refused URL, bad payload).
 * - postpone:    Postgres or Redis is down; back to the queue without using an attempt, worker pauses.
 * - stop-worker: this worker cannot embed anything (model or inference thread broken); the job goes
 *                back without using an attempt and the process exits so the supervisor can act.
 */
export type FailureAction = 'retry' | 'dead-letter' | 'postpone' | 'stop-worker';

export interface Failure {
  action: FailureAction;
  /** Stable code for the DLQ, metrics and logs, e.g. FETCH_HTTP_404. */
  code: string;
  message: string;
  /** The server asked us to wait this long before trying again (Retry-After). */
  retryAfterMs?: number;
}

/** Embedder failures that say the model or its thread is broken, not this one image. */
const WORKER_BROKEN_CODES = new Set([
  'MODEL_NOT_FOUND',
  'MODEL_CONFIG_INVALID',
  'MODEL_FILE_MISSING',
  'MODEL_FILE_INCOMPLETE',
  'MODEL_FILE_CORRUPT',
  'MODEL_MANIFEST_INVALID',
  'MODEL_LOAD_FAILED',
  'MODEL_DIMENSION_MISMATCH',
  'CUDA_PROVIDER_UNAVAILABLE',
  'EXECUTION_PROVIDER_FAILED',
  'INFERENCE_FAILED',
  'INFERENCE_THREAD_DIED',
  'INPUT_SHAPE_MISMATCH',
  // The embedder was closed under a running job: we are shutting down.
  'EMBEDDER_CLOSED',
]);

/** Failures that are the job's own and can never succeed on retry. */
const PERMANENT_CODES = new Set([
  'INVALID_JOB_PAYLOAD',
  'JOB_MODEL_MISMATCH',
  'INVALID_STORE_INPUT',
  'VECTOR_DIMENSION_MISMATCH',
]);

export function classifyFailure(error: unknown): Failure {
  // Duck-typed: errors from Node core or a worker thread may come from another realm.
  const fields = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as {
    code?: unknown;
    message?: unknown;
    retryable?: unknown;
    retryAfterMs?: unknown;
  };
  const code = typeof fields.code === 'string' && fields.code !== '' ? fields.code : 'UNEXPECTED_ERROR';
  const message = typeof fields.message === 'string' ? fields.message : String(error);

  if (error instanceof DependencyUnavailableError) return { action: 'postpone', code, message };
  if (WORKER_BROKEN_CODES.has(code)) return { action: 'stop-worker', code, message };
  if (PERMANENT_CODES.has(code)) return { action: 'dead-letter', code, message };
  // Image fetch and decode errors say themselves whether a retry can help.
  if (typeof fields.retryable === 'boolean') {
    if (!fields.retryable) return { action: 'dead-letter', code, message };
    const retryAfterMs =
      typeof fields.retryAfterMs === 'number' && fields.retryAfterMs > 0 ? fields.retryAfterMs : undefined;
    return { action: 'retry', code, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  // Unknown failures (a bug, an unexpected library error) get the retry budget, then the DLQ.
  return { action: 'retry', code, message };
}
