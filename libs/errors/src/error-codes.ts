/**
 * The one registry of error codes: what each code means for a job (its fate), for a process that
 * fails to start with it (its exit code) and for an HTTP request (its status), plus a default fix
 * hint for places where only the code survives (a dead-lettered job read back from Redis).
 *
 * The failure policy, the worker's exit code, the supervisor's restart decision and the API's error
 * handler all read this table; a code's meaning is changed here and nowhere else.
 */

/** Exit codes the supervisor acts on. */
export const EXIT_CLEAN = 0;
/** Anything that may pass with time (a service down, a crash): the supervisor restarts with backoff. */
export const EXIT_RESTART = 1;
/** EX_CONFIG: the model or configuration is broken; restarting cannot help, so do not restart-loop. */
export const EXIT_CANNOT_WORK = 78;

/**
 * What happens to a job whose attempt failed with the code:
 * - retry:       the cause may go away (timeout, HTTP 5xx/429, GPU OOM); BullMQ retries with backoff,
 *                the last failed attempt dead-letters.
 * - dead-letter: retrying cannot help (404, not an image, corrupt, non-finite embedding).
 * - postpone:    a dependency is down; back to the queue without spending an attempt, worker pauses.
 * - stop-worker: this worker cannot embed anything (model or inference thread broken); the job goes
 *                back without spending an attempt and the process exits so the supervisor can act.
 */
export type JobFate = 'retry' | 'dead-letter' | 'postpone' | 'stop-worker';

export interface ErrorCodeMeaning {
  job: JobFate;
  /** Exit code of a process that cannot start because of this error. */
  exit: typeof EXIT_RESTART | typeof EXIT_CANNOT_WORK;
  /** Status of an HTTP request that ran into it. */
  http: number;
  /** Fix for an operator, used when the error object itself (with its own hint) is gone. */
  hint?: string;
}

type Row = [job: JobFate, exit: ErrorCodeMeaning['exit'], http: number, hint?: string];

const R = EXIT_RESTART;
const C = EXIT_CANNOT_WORK;

const FIX_IMAGE_URL = 'Fix the product image URL in the catalog, then `vectorizer dlq retry ID`.';
const FIX_MODEL = 'Check the model files: `vectorizer model verify` says which file and how to fix it.';

const TABLE: Record<string, Row> = {
  // The job's own input: retrying cannot help.
  INVALID_JOB_PAYLOAD: [
    'dead-letter',
    R,
    400,
    'The job was written by an incompatible producer; enqueue the product again.',
  ],
  JOB_MODEL_MISMATCH: ['dead-letter', R, 400, "Run a worker with the job's model, or `vectorizer enqueue --ids ID`."],
  JOB_STALLED: [
    'dead-letter',
    R,
    500,
    'Workers holding it died repeatedly (kill -9, OOM): check worker logs, then `vectorizer dlq retry ID`.',
  ],
  EMBEDDING_NOT_FINITE: [
    'dead-letter',
    R,
    500,
    'The model produced NaN/Infinity for this image; inspect the image or the model export.',
  ],
  VECTOR_DIMENSION_MISMATCH: [
    'dead-letter',
    C,
    503,
    "The model's dimension differs from the column; `vectorizer migrate` explains the fix.",
  ],
  INVALID_STORE_INPUT: ['dead-letter', R, 400],
  EMBEDDING_ROW_REJECTED: ['dead-letter', R, 500, 'PostgreSQL refused this row; its message says why.'],

  // Images: the URL or the bytes.
  IMAGE_EMPTY: ['dead-letter', R, 422, FIX_IMAGE_URL],
  IMAGE_TOO_LARGE: ['dead-letter', R, 413, 'Raise IMAGE_MAX_BYTES or use a smaller image.'],
  IMAGE_UNSUPPORTED_FORMAT: ['dead-letter', R, 422, 'Convert the image to JPEG, PNG, WebP, GIF, AVIF or TIFF.'],
  IMAGE_TOO_MANY_PIXELS: ['dead-letter', R, 422, 'Raise IMAGE_MAX_PIXELS or use a smaller image.'],
  IMAGE_CORRUPT: ['dead-letter', R, 422, FIX_IMAGE_URL],
  IMAGE_DECODE_TIMEOUT: ['dead-letter', R, 422, 'Raise IMAGE_DECODE_TIMEOUT_MS or use a simpler image.'],
  FETCH_URL_INVALID: ['dead-letter', R, 422, FIX_IMAGE_URL],
  FETCH_URL_REFUSED: [
    'dead-letter',
    R,
    422,
    'The address is private or not allowed; set IMAGE_ALLOW_PRIVATE_NETWORKS=true only for trusted catalogs.',
  ],
  // A file:// image URL refused: file URLs disabled, or the file outside the allowed directory.
  FETCH_FILE_URL_REFUSED: [
    'dead-letter',
    R,
    422,
    'file:// image URLs are read only under IMAGE_FILE_ROOT: set it to the directory holding the catalog images ' +
      '(in compose, mounted at that path into the workers).',
  ],
  FETCH_NOT_FOUND: ['dead-letter', R, 422, FIX_IMAGE_URL],
  FETCH_FORBIDDEN: ['dead-letter', R, 422, 'The image server refuses anonymous access to this image.'],
  FETCH_HTTP_4XX: ['dead-letter', R, 422, FIX_IMAGE_URL],
  FETCH_HTTP_3XX: ['dead-letter', R, 422, FIX_IMAGE_URL],
  FETCH_TOO_MANY_REDIRECTS: ['dead-letter', R, 422, 'Raise IMAGE_FETCH_MAX_REDIRECTS or fix the URL.'],
  FETCH_NOT_AN_IMAGE: ['dead-letter', R, 422, FIX_IMAGE_URL],
  FETCH_DNS_NOT_FOUND: ['dead-letter', R, 422, FIX_IMAGE_URL],
  FETCH_TLS: ['dead-letter', R, 422, "The image server's TLS certificate is invalid."],
  FETCH_RATE_LIMITED: ['retry', R, 503, 'Lower IMAGE_FETCH_PER_HOST_CONCURRENCY.'],
  FETCH_HTTP_5XX: ['retry', R, 502],
  FETCH_TIMEOUT: ['retry', R, 504],
  FETCH_NETWORK: ['retry', R, 502],
  FETCH_ABORTED: ['retry', R, 503],

  // Dependencies: not the job's fault.
  POSTGRES_UNAVAILABLE: ['postpone', R, 503, 'Check that PostgreSQL at DATABASE_URL is running and reachable.'],
  REDIS_UNAVAILABLE: ['postpone', R, 503, 'Check that Redis at REDIS_URL is running and reachable.'],
  POSTGRES_AUTH_FAILED: ['postpone', C, 503, 'Fix the user or password in DATABASE_URL.'],
  POSTGRES_DATABASE_MISSING: ['postpone', C, 503, 'Create the database (`createdb NAME`) or fix DATABASE_URL.'],
  REDIS_AUTH_FAILED: ['postpone', C, 503, 'Fix the password in REDIS_URL.'],

  // The worker itself cannot embed.
  MODEL_NOT_FOUND: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_CONFIG_INVALID: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_FILE_MISSING: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_FILE_INCOMPLETE: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_FILE_CORRUPT: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_MANIFEST_INVALID: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_LOAD_FAILED: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_DIMENSION_MISMATCH: ['stop-worker', C, 503, FIX_MODEL],
  MODEL_DOWNLOAD_FAILED: ['stop-worker', R, 503],
  PREPROCESSOR_CONFIG_INVALID: ['stop-worker', C, 503, FIX_MODEL],
  DEV_MODEL_IN_PRODUCTION: [
    'stop-worker',
    C,
    503,
    'Set MODEL_DIR or MODEL_ID to a real SigLIP export, or ALLOW_DEV_MODEL=true.',
  ],
  DEV_MODEL_DIR_CONFLICT: ['stop-worker', C, 503],
  DEV_MODEL_WRITE_FAILED: ['stop-worker', C, 503],
  CUDA_PROVIDER_UNAVAILABLE: ['stop-worker', C, 503],
  EXECUTION_PROVIDER_FAILED: ['stop-worker', C, 503],
  DEVICE_INVALID: ['stop-worker', C, 503],
  INFERENCE_FAILED: ['stop-worker', C, 503],
  INFERENCE_THREAD_DIED: ['stop-worker', R, 503],
  INPUT_SHAPE_MISMATCH: ['stop-worker', C, 503],
  // The embedder was closed under a running job: we are shutting down.
  EMBEDDER_CLOSED: ['stop-worker', R, 503],
  INFERENCE_OUT_OF_MEMORY: ['retry', R, 503],
  INFERENCE_QUEUE_FULL: ['retry', R, 503, 'Too many searches wait for the model; retry shortly.'],
  TEXT_MODEL_UNAVAILABLE: ['stop-worker', C, 501],

  // Configuration and schema: an operator must act.
  CONFIG_INVALID: ['stop-worker', C, 500],
  SCHEMA_NOT_READY: ['postpone', C, 503, 'Run `vectorizer migrate`.'],
  SCHEMA_NEWER_THAN_CODE: ['stop-worker', C, 503, 'Upgrade vectorizer to the version that migrated this database.'],
  PGVECTOR_MISSING: ['stop-worker', C, 503, 'Install pgvector: infra/scripts/ensure-pgvector.sh.'],
  PGVECTOR_PERMISSION_DENIED: ['stop-worker', C, 503],
  // The model registry (`vectorizer models`). A worker whose model was dropped under it stops: a
  // restart registers the model again, which must be an operator's decision.
  MODEL_NOT_REGISTERED: ['stop-worker', C, 404, 'See the registered models: `vectorizer models list`.'],
  MODEL_REGISTRATION_CONFLICT: ['stop-worker', C, 409],
  NO_ACTIVE_MODEL: [
    'postpone',
    C,
    503,
    'Run `vectorizer migrate` (registers the configured model) or `vectorizer models activate ID`.',
  ],
  MODEL_COVERAGE_INCOMPLETE: ['dead-letter', C, 409, 'Finish embedding (`vectorizer status`), or pass --force.'],
  ACTIVE_MODEL_DROP_REFUSED: ['dead-letter', C, 409, 'Activate another model first, or pass --force.'],
  ACTIVE_MODEL_NOT_LOADED: [
    'dead-letter',
    R,
    409,
    'Restart the API (or CLI) with the active model configured (MODEL_ID / MODEL_DIR / MODEL_DTYPE), or activate the loaded one.',
  ],

  // Requests.
  OPTION_RETIRED: ['dead-letter', C, 400],
  SEARCH_INPUT_INVALID: ['dead-letter', R, 400],
  SEARCH_FILTER_INVALID: [
    'dead-letter',
    R,
    400,
    'Pass filter as a JSON object of top-level attribute keys to string, number or boolean values, e.g. {"category":"shoes"}.',
  ],
  REQUEST_INVALID: ['dead-letter', R, 400],
  PRODUCT_NOT_FOUND: ['dead-letter', R, 404],
  ROUTE_NOT_FOUND: ['dead-letter', R, 404],
  PRODUCT_NOT_EMBEDDED: ['dead-letter', R, 409],
  // A product's file:// image outside every root the API may show (IMAGE_FILE_ROOT, the demo's folder).
  PRODUCT_IMAGE_UNAVAILABLE: [
    'dead-letter',
    R,
    404,
    'Start `serve` with IMAGE_FILE_ROOT set to the directory holding the catalog images.',
  ],
  TOO_MANY_REQUESTS: ['retry', R, 429, 'Retry after the time the Retry-After header gives.'],

  // Product intake over HTTP (POST/DELETE /api/products).
  // Off is 404, not 503: nothing will bring it up by waiting, and a 503 invites endless client retries.
  INGEST_DISABLED: ['dead-letter', R, 404, 'Set INGEST_TOKEN on the API to turn on POST/DELETE /api/products.'],
  INGEST_UNAUTHORIZED: ['dead-letter', R, 401, 'Send Authorization: Bearer <INGEST_TOKEN>.'],
  INGEST_BODY_TOO_LARGE: [
    'dead-letter',
    R,
    413,
    'Split the products over several requests, or raise INGEST_MAX_BODY_BYTES on the API.',
  ],
  INGEST_BODY_INVALID: [
    'dead-letter',
    R,
    400,
    'Send a JSON array of {"id","image_url",…} objects, or one such object per line as application/x-ndjson.',
  ],
  INGEST_MEDIA_TYPE_UNSUPPORTED: [
    'dead-letter',
    R,
    415,
    'Send Content-Type: application/json (an array) or application/x-ndjson (one product per line).',
  ],
};

/** Unknown failures (a bug, an unexpected library error) get the retry budget, then the DLQ. */
const UNKNOWN: ErrorCodeMeaning = { job: 'retry', exit: EXIT_RESTART, http: 500 };

/** What `code` means; unknown codes mean "retry, restart, 500". */
export function meaningOf(code: string | undefined): ErrorCodeMeaning {
  const row = code === undefined ? undefined : TABLE[code];
  if (!row) return UNKNOWN;
  const [job, exit, http, hint] = row;
  return hint === undefined ? { job, exit, http } : { job, exit, http, hint };
}

/** True when the registry knows the code (tests check that every code we raise is registered). */
export function isRegisteredCode(code: string): boolean {
  return Object.hasOwn(TABLE, code);
}

/** The code of any error-like value (ours, Node's, a library's, or one from another realm). */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}
