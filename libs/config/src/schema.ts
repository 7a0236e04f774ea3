import { z } from 'zod';

/*
 * Every setting the project reads, by environment variable name. This file and load-config.ts are
 * the only places that touch process.env. Group new variables into the section they belong to and
 * document each one in .env.example (a test checks that every key here is documented there).
 */

const bool = (fallback: boolean) =>
  z.stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off', ''] }).default(fallback);
const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const optionalInt = (min = 1) => z.coerce.number().int().min(min).optional();
const url = (protocols: string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

export const runtimeEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
});

export const servicesEnv = z.object({
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_POOL_MAX: int(10, 1),
  /** A server that accepts TCP and never answers fails a connection after this long. */
  DATABASE_CONNECT_TIMEOUT_MS: int(5_000, 100),
  /** No statement runs longer (server-side statement_timeout, and the same bound client-side). */
  DATABASE_STATEMENT_TIMEOUT_MS: int(60_000, 100),
  /** How long the outage probes (a fresh Postgres connection, a Redis PING) may take to answer. */
  DEPENDENCY_PROBE_TIMEOUT_MS: int(2_000, 100),
  /** Redis-Cluster-safe: the braces make every queue key hash to one slot. */
  QUEUE_PREFIX: z
    .string()
    .default('{vectorizer}')
    .refine((value) => /^\{[^{}]+\}$/.test(value) || /^[A-Za-z0-9:_-]+$/.test(value), {
      message: 'expected a hash tag like {vectorizer} or a plain key prefix (letters, digits, : _ -)',
    }),
});

export const modelEnv = z.object({
  MODEL_DIR: optionalString,
  MODEL_ID: optionalString,
  HF_HOME: optionalString,
  /** Hub base URL for `vectorizer model download` (a mirror); unset uses https://huggingface.co/. */
  HF_ENDPOINT: optionalString,
  MODEL_DTYPE: z.enum(['fp32', 'fp16', 'q8']).default('fp32'),
  /**
   * How a model's vectors are indexed when `migrate` (or a worker/API start) registers it: float32
   * `vector`, or `halfvec` (half precision: half the HNSW index size, 4000 dimensions max). Fixed per
   * model at registration; a registered model keeps its storage.
   */
  EMBEDDING_STORAGE: z.enum(['vector', 'halfvec']).default('vector'),
  DEV_MODEL_SIZE: z.enum(['tiny', 'base']).default('tiny'),
  /** With NODE_ENV=production the worker and API refuse the random-weight dev model unless this is true. */
  ALLOW_DEV_MODEL: bool(false),
  VECTORIZER_DEVICE: z
    .string()
    .default('auto')
    .refine((value) => /^(auto|cpu|cuda|cuda:\d+|webgpu)$/.test(value), {
      message: 'expected auto, cpu, cuda, cuda:N or webgpu',
    }),
  ALLOW_CPU_FALLBACK: bool(false),
  /** Overrides the batch size the supervisor plans from VRAM. */
  BATCH_SIZE: optionalInt(1),
  /** How long a partial batch waits for more jobs before it runs anyway. */
  BATCH_MAX_WAIT_MS: int(25),
  /** ONNX Runtime intra-op threads; unset uses the worker's thread plan (every core it may use, on CPU). */
  INFERENCE_THREADS: optionalInt(1),
  /**
   * Cores a worker may use; the supervisor sets each GPU worker's share. Given to `vectorizer worker` itself, the host's
   * cores to share out. Unset: detected (CPUs, cgroup quota).
   */
  WORKER_CORES: optionalInt(1),
});

export const imageEnv = z.object({
  IMAGE_MAX_BYTES: int(25 * 1024 * 1024, 1),
  IMAGE_MAX_PIXELS: int(50_000_000, 1),
  IMAGE_DECODE_TIMEOUT_MS: int(15_000, 1),
  // fast: JPEGs at least twice the model's input size are DCT-scaled while decoding (embedding
  // cosine ≥ 0.999 to exact); exact: always decode at full size, as Pillow/transformers do.
  IMAGE_RESIZE: z.enum(['fast', 'exact']).default('fast'),
  IMAGE_FETCH_CONNECT_TIMEOUT_MS: int(5_000, 1),
  IMAGE_FETCH_HEADERS_TIMEOUT_MS: int(15_000, 1),
  IMAGE_FETCH_BODY_TIMEOUT_MS: int(30_000, 1),
  IMAGE_FETCH_MAX_REDIRECTS: int(3),
  IMAGE_FETCH_PER_HOST_CONCURRENCY: int(8, 1),
  IMAGE_ALLOW_PRIVATE_NETWORKS: bool(false),
  IMAGE_FILE_ROOT: optionalString,
  IMAGE_USER_AGENT: z.string().default('vectorizer/0.1 (+product-image-embedding)'),
});

export const jobEnv = z.object({
  /** 11 attempts with 2 s exponential backoff retry for about 34 minutes before dead-lettering. */
  JOB_ATTEMPTS: int(11, 1),
  JOB_BACKOFF_MS: int(2_000, 1),
  /** Completed jobs Redis keeps (Bull Board's "completed" tab): at most this many, for at most this long. */
  QUEUE_KEEP_COMPLETED_COUNT: int(1_000),
  QUEUE_KEEP_COMPLETED_AGE_S: int(3_600),
  /** Dead letters (the embed queue's failed jobs): at most this many, for at most this long. */
  QUEUE_KEEP_FAILED_COUNT: int(100_000),
  QUEUE_KEEP_FAILED_AGE_S: int(14 * 24 * 3_600),
  WORKER_CONCURRENCY: optionalInt(1),
  WORKER_LOCK_DURATION_MS: int(120_000, 1_000),
  WORKER_STALLED_INTERVAL_MS: int(30_000, 1_000),
  WORKER_SHUTDOWN_TIMEOUT_MS: int(60_000, 1_000),
  /** Memory the image decodes of one worker's jobs in hand may hold at once (a weighted semaphore). */
  WORKER_DECODE_MEMORY_MB: int(512, 16),
  /** Names this worker in its heartbeat and metrics keys; the supervisor sets one per process. */
  WORKER_ID: optionalString,
  /** Written every 5 s by a healthy worker; `vectorizer worker --health` checks its age. */
  WORKER_HEALTH_FILE: z.string().default('/tmp/vectorizer-worker-health.json'),
  NVIDIA_SMI_PATH: z.string().default('nvidia-smi'),
  /** Kept even when empty: an empty list hides every GPU. */
  CUDA_VISIBLE_DEVICES: z.string().optional(),
  /** VRAM kept free on each GPU for the CUDA context and fragmentation. */
  GPU_MEMORY_RESERVE_MB: int(1_024),
});

export const intakeEnv = z.object({
  /**
   * Jobs at most pending in Redis (waiting, delayed, active) that intake adds up to; the rest stay
   * pending in Postgres until the reconcile loop tops the queue up. About 1 KB of Redis per job.
   * 0 = no window (every product needing an embedding is enqueued at once).
   */
  QUEUE_WINDOW: int(20_000),
  /** `vectorizer worker` also runs the Postgres listener + reconcile loop (one leader per cluster). */
  WATCH: bool(true),
  /** How often the reconcile loop tops the queue up from Postgres (and catches missed notifications). */
  RECONCILE_INTERVAL_MS: int(5_000, 100),
});

export const apiEnv = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: int(3000, 0),
  DASHBOARD_USER: optionalString,
  DASHBOARD_PASSWORD: optionalString,
  DASHBOARD_TOKEN: optionalString,
  DASHBOARD_READ_ONLY: bool(false),
  /** Allows the dashboard without credentials, and only while HOST is a loopback address. */
  DASHBOARD_DEV_MODE: bool(false),
  /** hnsw.ef_search: candidates an HNSW search keeps; docs/search.md has the recall each value buys. */
  SEARCH_EF_SEARCH: int(200, 1),
  /** Filters keeping at most this many products are scored exactly (recall 1.0); broader ones use HNSW. */
  SEARCH_EXACT_MAX_ROWS: int(3_000, 0),
  SEARCH_MAX_K: int(100, 1),
  /** Image searches the API holds at once (each buffers up to IMAGE_MAX_BYTES); beyond, 429 + Retry-After. */
  SEARCH_MAX_CONCURRENT_UPLOADS: int(4, 1),
  /** Bearer token of POST/DELETE /api/products (not the dashboard's); unset turns those endpoints off (404). */
  INGEST_TOKEN: optionalString,
  /** Largest request body POST /api/products reads (bytes); a larger one is refused with 413. */
  INGEST_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1),
});

/**
 * OpenTelemetry's standard variables (the OTLP exporter also reads OTEL_EXPORTER_OTLP_HEADERS and
 * _TIMEOUT itself). Tracing is off unless an endpoint is set.
 */
export const tracingEnv = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/protobuf', 'http/json']).optional(),
  OTEL_SERVICE_NAME: optionalString,
});

export const envSchema = runtimeEnv
  .extend(tracingEnv.shape)
  .extend(servicesEnv.shape)
  .extend(modelEnv.shape)
  .extend(imageEnv.shape)
  .extend(jobEnv.shape)
  .extend(intakeEnv.shape)
  .extend(apiEnv.shape);

export type Config = z.infer<typeof envSchema>;
export const configKeys = Object.keys(envSchema.shape) as (keyof Config)[];
