/**
 * The one registry of error codes: what each code means for a job (its fate), for a process that
 * fails to start with it (its exit code) and for an HTTP request (its status), plus a default fix
 * hint for places where only the code survives (a dead-lettered job read back from Redis).
 *
 * The failure policy, the worker's exit code, the supervisor's restart decision, the CLI's exit code
 * and the API's error handler all read this table; a code's meaning is changed here and nowhere
 * else. `ErrorCode` is derived from it, so raising an unregistered code does not compile.
 */

/** Exit codes the supervisor acts on. */
export const EXIT_CLEAN = 0;
/** Anything that may pass with time (a service down, a crash): the supervisor restarts with backoff. */
export const EXIT_RESTART = 1;
/** EX_CONFIG: the model or configuration is broken; restarting cannot help, so do not restart-loop. */
export const EXIT_CANNOT_WORK = 78;

export type ExitCode = typeof EXIT_RESTART | typeof EXIT_CANNOT_WORK;

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
  /** Exit code of a process that cannot start (or a command that fails) because of this error. */
  exit: ExitCode;
  /** Status of an HTTP request that ran into it. */
  http: number;
  /** Fix for an operator, used when the error object itself (with its own hint) is gone. */
  hint?: string;
}

/**
 * A row names only what applies: `job` for codes a job can meet (a code that only answers requests
 * leaves it out, and should a job meet it anyway it dead-letters: it is somebody's bad input, which
 * no retry fixes), `exit` when a process must not be restarted for it (default EXIT_RESTART).
 */
interface Row {
  job?: JobFate;
  exit?: ExitCode;
  http: number;
  hint?: string;
}

const FIX_IMAGE_URL = 'Fix the product image URL in the catalog, then `vectorizer dlq retry ID`.';
const FIX_MODEL = 'Check the model files: `vectorizer model verify` says which file and how to fix it.';

/** This process cannot embed anything until an operator acts: jobs go back untouched, no restart. */
const CANNOT_WORK = { job: 'stop-worker', exit: EXIT_CANNOT_WORK, http: 503 } as const;

const REGISTRY = {
  // The job's own input: retrying cannot help.
  INVALID_JOB_PAYLOAD: {
    job: 'dead-letter',
    http: 400,
    hint: 'The job was written by an incompatible producer; enqueue the product again.',
  },
  JOB_MODEL_MISMATCH: {
    job: 'dead-letter',
    http: 400,
    hint: "Run a worker with the job's model, or `vectorizer enqueue --ids ID`.",
  },
  JOB_STALLED: {
    job: 'dead-letter',
    http: 500,
    hint: 'Workers holding it died repeatedly (kill -9, OOM): check worker logs, then `vectorizer dlq retry ID`.',
  },
  EMBEDDING_NOT_FINITE: {
    job: 'dead-letter',
    http: 500,
    hint: 'The model produced NaN/Infinity for this image; inspect the image or the model export.',
  },
  VECTOR_DIMENSION_MISMATCH: {
    job: 'dead-letter',
    exit: EXIT_CANNOT_WORK,
    http: 503,
    hint: "The model's dimension differs from the column; `vectorizer migrate` explains the fix.",
  },
  INVALID_STORE_INPUT: { job: 'dead-letter', http: 400 },
  EMBEDDING_ROW_REJECTED: { job: 'dead-letter', http: 500, hint: 'PostgreSQL refused this row; its message says why.' },

  // Images: the URL or the bytes.
  IMAGE_EMPTY: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  IMAGE_TOO_LARGE: { job: 'dead-letter', http: 413, hint: 'Raise IMAGE_MAX_BYTES or use a smaller image.' },
  IMAGE_UNSUPPORTED_FORMAT: {
    job: 'dead-letter',
    http: 422,
    hint: 'Convert the image to JPEG, PNG, WebP, GIF, AVIF or TIFF.',
  },
  IMAGE_TOO_MANY_PIXELS: { job: 'dead-letter', http: 422, hint: 'Raise IMAGE_MAX_PIXELS or use a smaller image.' },
  IMAGE_CORRUPT: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  IMAGE_DECODE_TIMEOUT: {
    job: 'dead-letter',
    http: 422,
    hint: 'Raise IMAGE_DECODE_TIMEOUT_MS or use a simpler image.',
  },
  FETCH_URL_INVALID: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  FETCH_URL_REFUSED: {
    job: 'dead-letter',
    http: 422,
    hint: 'The address is private or not allowed; set IMAGE_ALLOW_PRIVATE_NETWORKS=true only for trusted catalogs.',
  },
  // A file:// image URL refused: file URLs disabled, or the file outside the allowed directory.
  FETCH_FILE_URL_REFUSED: {
    job: 'dead-letter',
    http: 422,
    hint:
      'file:// image URLs are read only under IMAGE_FILE_ROOT: set it to the directory holding the catalog images ' +
      '(in compose, mounted at that path into the workers).',
  },
  FETCH_NOT_FOUND: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  FETCH_FORBIDDEN: { job: 'dead-letter', http: 422, hint: 'The image server refuses anonymous access to this image.' },
  FETCH_HTTP_4XX: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  FETCH_HTTP_3XX: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  FETCH_TOO_MANY_REDIRECTS: { job: 'dead-letter', http: 422, hint: 'Raise IMAGE_FETCH_MAX_REDIRECTS or fix the URL.' },
  FETCH_NOT_AN_IMAGE: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  FETCH_DNS_NOT_FOUND: { job: 'dead-letter', http: 422, hint: FIX_IMAGE_URL },
  FETCH_TLS: { job: 'dead-letter', http: 422, hint: "The image server's TLS certificate is invalid." },
  FETCH_RATE_LIMITED: { job: 'retry', http: 503, hint: 'Lower IMAGE_FETCH_PER_HOST_CONCURRENCY.' },
  FETCH_HTTP_5XX: { job: 'retry', http: 502 },
  FETCH_TIMEOUT: { job: 'retry', http: 504 },
  FETCH_NETWORK: { job: 'retry', http: 502 },
  FETCH_ABORTED: { job: 'retry', http: 503 },

  // Dependencies: not the job's fault.
  POSTGRES_UNAVAILABLE: {
    job: 'postpone',
    http: 503,
    hint: 'Check that PostgreSQL at DATABASE_URL is running and reachable.',
  },
  REDIS_UNAVAILABLE: { job: 'postpone', http: 503, hint: 'Check that Redis at REDIS_URL is running and reachable.' },
  POSTGRES_AUTH_FAILED: {
    job: 'postpone',
    exit: EXIT_CANNOT_WORK,
    http: 503,
    hint: 'Fix the user or password in DATABASE_URL.',
  },
  POSTGRES_DATABASE_MISSING: {
    job: 'postpone',
    exit: EXIT_CANNOT_WORK,
    http: 503,
    hint: 'Create the database (`createdb NAME`) or fix DATABASE_URL.',
  },
  REDIS_AUTH_FAILED: { job: 'postpone', exit: EXIT_CANNOT_WORK, http: 503, hint: 'Fix the password in REDIS_URL.' },

  // The worker itself cannot embed.
  MODEL_NOT_FOUND: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_CONFIG_INVALID: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_FILE_MISSING: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_FILE_INCOMPLETE: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_FILE_CORRUPT: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_MANIFEST_INVALID: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_LOAD_FAILED: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_DIMENSION_MISMATCH: { ...CANNOT_WORK, hint: FIX_MODEL },
  MODEL_DOWNLOAD_FAILED: { job: 'stop-worker', http: 503 },
  PREPROCESSOR_CONFIG_INVALID: { ...CANNOT_WORK, hint: FIX_MODEL },
  DEV_MODEL_IN_PRODUCTION: {
    ...CANNOT_WORK,
    hint: 'Set MODEL_DIR or MODEL_ID to a real SigLIP export, or ALLOW_DEV_MODEL=true.',
  },
  DEV_MODEL_DIR_CONFLICT: CANNOT_WORK,
  DEV_MODEL_WRITE_FAILED: CANNOT_WORK,
  CUDA_PROVIDER_UNAVAILABLE: CANNOT_WORK,
  EXECUTION_PROVIDER_FAILED: CANNOT_WORK,
  DEVICE_INVALID: CANNOT_WORK,
  INFERENCE_FAILED: CANNOT_WORK,
  INFERENCE_THREAD_DIED: { job: 'stop-worker', http: 503 },
  INPUT_SHAPE_MISMATCH: CANNOT_WORK,
  // The embedder was closed under a running job: we are shutting down.
  EMBEDDER_CLOSED: { job: 'stop-worker', http: 503 },
  INFERENCE_OUT_OF_MEMORY: { job: 'retry', http: 503 },
  INFERENCE_QUEUE_FULL: { job: 'retry', http: 503, hint: 'Too many searches wait for the model; retry shortly.' },
  TEXT_MODEL_UNAVAILABLE: { job: 'stop-worker', exit: EXIT_CANNOT_WORK, http: 501 },

  // Configuration and schema: an operator must act.
  MIGRATION_CHECKSUM_MISMATCH: {
    ...CANNOT_WORK,
    hint: 'Applied migrations are immutable: restore the original migration file; put a change into a new migration.',
  },
  NO_GPU: {
    ...CANNOT_WORK,
    hint: 'Check `nvidia-smi` and CUDA_VISIBLE_DEVICES, or run CPU workers (VECTORIZER_DEVICE=cpu).',
  },
  GPU_DISCOVERY_FAILED: {
    ...CANNOT_WORK,
    hint: 'Run `nvidia-smi` to see the driver error; to run on CPU instead set CUDA_VISIBLE_DEVICES=-1.',
  },
  EMBEDDER_OPTIONS_INVALID: { job: 'stop-worker', exit: EXIT_CANNOT_WORK, http: 500 },
  DEV_MODEL_INVALID_OPTIONS: { job: 'stop-worker', exit: EXIT_CANNOT_WORK, http: 500 },
  DASHBOARD_CREDENTIALS_REQUIRED: {
    exit: EXIT_CANNOT_WORK,
    http: 500,
    hint: 'Set DASHBOARD_USER and DASHBOARD_PASSWORD (or DASHBOARD_TOKEN).',
  },
  API_LISTEN_FAILED: {
    exit: EXIT_CANNOT_WORK,
    http: 500,
    hint: 'Stop the other process on that port, or set HOST / PORT.',
  },
  CONFIG_INVALID: { job: 'stop-worker', exit: EXIT_CANNOT_WORK, http: 500 },
  SCHEMA_NOT_READY: { job: 'postpone', exit: EXIT_CANNOT_WORK, http: 503, hint: 'Run `vectorizer migrate`.' },
  SCHEMA_NEWER_THAN_CODE: {
    ...CANNOT_WORK,
    hint: 'Upgrade vectorizer to the version that migrated this database.',
  },
  PGVECTOR_MISSING: {
    ...CANNOT_WORK,
    hint: 'Install pgvector: infra/scripts/ensure-pgvector.sh.',
  },
  PGVECTOR_PERMISSION_DENIED: CANNOT_WORK,
  // The model registry (`vectorizer models`). A worker whose model was dropped under it stops: a
  // restart registers the model again, which must be an operator's decision.
  MODEL_NOT_REGISTERED: {
    job: 'stop-worker',
    exit: EXIT_CANNOT_WORK,
    http: 404,
    hint: 'See the registered models: `vectorizer models list`.',
  },
  MODEL_REGISTRATION_CONFLICT: { job: 'stop-worker', exit: EXIT_CANNOT_WORK, http: 409 },
  NO_ACTIVE_MODEL: {
    job: 'postpone',
    exit: EXIT_CANNOT_WORK,
    http: 503,
    hint: 'Run `vectorizer migrate` (registers the configured model) or `vectorizer models activate ID`.',
  },
  MODEL_COVERAGE_INCOMPLETE: {
    exit: EXIT_CANNOT_WORK,
    http: 409,
    hint: 'Finish embedding (`vectorizer status`), or pass --force.',
  },
  ACTIVE_MODEL_DROP_REFUSED: {
    exit: EXIT_CANNOT_WORK,
    http: 409,
    hint: 'Activate another model first, or pass --force.',
  },
  ACTIVE_MODEL_NOT_LOADED: {
    http: 409,
    hint: 'Restart the API (or CLI) with the active model configured (MODEL_ID / MODEL_DIR / MODEL_DTYPE), or activate the loaded one.',
  },

  // A failure that named no code (a bug, an unexpected library error): what an unknown code means.
  UNEXPECTED_ERROR: {
    job: 'retry',
    http: 500,
    hint: "The worker's log has the error and its stack; once fixed, `vectorizer dlq retry ID`.",
  },

  // Requests and commands: the caller's input.
  INTERNAL_ERROR: { http: 500 },
  DASHBOARD_UNAUTHORIZED: {
    http: 401,
    hint: 'Log in with DASHBOARD_USER / DASHBOARD_PASSWORD, or send the dashboard token.',
  },
  DASHBOARD_READ_ONLY: {
    http: 403,
    hint: 'Unset DASHBOARD_READ_ONLY to allow retrying, cleaning and pausing from the dashboard.',
  },
  CROSS_SITE_REQUEST_REFUSED: { http: 403, hint: 'Use the dashboard from its own page.' },
  CATALOG_UNREADABLE: { http: 400, hint: 'Check the catalog path and its permissions.' },
  CATALOG_HEADER_INVALID: { http: 400, hint: 'A CSV catalog needs a header row with at least id and image_url.' },
  FILE_NOT_FOUND: { http: 404 },
  FILE_UNREADABLE: { http: 400, hint: 'Check that the path is a file this user may read.' },
  DLQ_SELECTION_MISSING: { http: 400, hint: 'Name job ids, or pass --all.' },
  ENQUEUE_SELECTION_MISSING: { http: 400, hint: 'Pass --missing, --all or --ids.' },
  DEMO_STEP_FAILED: { http: 500 },
  OPTION_RETIRED: { exit: EXIT_CANNOT_WORK, http: 400 },
  SEARCH_INPUT_INVALID: { http: 400 },
  SEARCH_FILTER_INVALID: {
    http: 400,
    hint: 'Pass filter as a JSON object of top-level attribute keys to string, number or boolean values, e.g. {"category":"shoes"}.',
  },
  REQUEST_INVALID: { http: 400 },
  PRODUCT_NOT_FOUND: { http: 404 },
  ROUTE_NOT_FOUND: { http: 404 },
  PRODUCT_NOT_EMBEDDED: { http: 409 },
  // A product's file:// image outside every root the API may show (IMAGE_FILE_ROOT, the demo's folder).
  PRODUCT_IMAGE_UNAVAILABLE: {
    http: 404,
    hint: 'Start `serve` with IMAGE_FILE_ROOT set to the directory holding the catalog images.',
  },
  TOO_MANY_REQUESTS: { http: 429, hint: 'Retry after the time the Retry-After header gives.' },

  // Product intake over HTTP (POST/DELETE /api/products).
  // Off is 404, not 503: nothing will bring it up by waiting, and a 503 invites endless client retries.
  INGEST_DISABLED: { http: 404, hint: 'Set INGEST_TOKEN on the API to turn on POST/DELETE /api/products.' },
  INGEST_UNAUTHORIZED: { http: 401, hint: 'Send Authorization: Bearer <INGEST_TOKEN>.' },
  INGEST_BODY_TOO_LARGE: {
    http: 413,
    hint: 'Split the products over several requests, or raise INGEST_MAX_BODY_BYTES on the API.',
  },
  INGEST_BODY_INVALID: {
    http: 400,
    hint: 'Send a JSON array of {"id","image_url",…} objects, or one such object per line as application/x-ndjson.',
  },
  INGEST_MEDIA_TYPE_UNSUPPORTED: {
    http: 415,
    hint: 'Send Content-Type: application/json (an array) or application/x-ndjson (one product per line).',
  },
} as const satisfies Record<string, Row>;

/** Every code this project raises on purpose. */
export type ErrorCode = keyof typeof REGISTRY;

/**
 * What `code` means. An unregistered code (a library's, Node's, none at all) means what
 * UNEXPECTED_ERROR means: retry, restart, 500, and its hint.
 */
export function meaningOf(code: string | undefined): ErrorCodeMeaning {
  const known = code !== undefined && isRegisteredCode(code);
  const row: Row = REGISTRY[known ? code : 'UNEXPECTED_ERROR'];
  const meaning: ErrorCodeMeaning = { job: row.job ?? 'dead-letter', exit: row.exit ?? EXIT_RESTART, http: row.http };
  return row.hint === undefined ? meaning : { ...meaning, hint: row.hint };
}

/** True when the registry knows the code. */
export function isRegisteredCode(code: string): code is ErrorCode {
  return Object.hasOwn(REGISTRY, code);
}

/** Every registered code (the registry spec checks each one the source raises is among them). */
export function registeredCodes(): ErrorCode[] {
  return Object.keys(REGISTRY) as ErrorCode[];
}

/** The code of any error-like value (ours, Node's, a library's, or one from another realm). */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}
