import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { resolveModel, type ResolvedModel } from '@vectorizer/embedder';
import { createEmbedQueue, createWorkerConnection, type EmbedQueue, type RetryPolicy } from '@vectorizer/queue';
import { createPool, runMigrations } from '@vectorizer/store';
import {
  DEV_TINY_MODEL_DIR,
  TEST_REDIS_URL,
  createTestDatabase,
  devTinyModel,
  eventually as waitUntil,
  uniquePrefix,
  type TestDatabase,
} from '@vectorizer/testing';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import sharp from 'sharp';

export const REPO = join(__dirname, '..', '..', '..', '..');
const MAIN = join(__dirname, '..', 'main.ts');

export interface WorkerChild {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts apps/worker/src/main.ts with only the given environment (plus PATH and HOME). */
export function spawnWorker(env: Record<string, string>): WorkerChild {
  const chunks: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  // 'close', not 'exit': by then the output streams are drained too.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => chunks.join(''), exited };
}

/** Serves one small PNG per path after `delayMs`, so jobs stay in flight long enough to interrupt. */
export async function startSlowImageServer(delayMs: number): Promise<{ origin: string; close(): Promise<void> }> {
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .png()
    .toBuffer();
  const server: Server = createServer((_request, response) => {
    setTimeout(() => response.writeHead(200, { 'content-type': 'image/png' }).end(png), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** eventually() with room for a worker process to start (45 s by default). */
export const eventually = (check: () => Promise<boolean>, what: string, timeoutMs = 45_000): Promise<void> =>
  waitUntil(check, what, timeoutMs);

/** The tiny dev model and a database of the test file's own, migrated for it. */
export interface WorkerTestbed {
  model: ResolvedModel;
  db: TestDatabase;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function openWorkerTestbed(name: string): Promise<WorkerTestbed> {
  const model = await devTinyModel({ ensureDevModel, resolveModel });
  const db = await createTestDatabase(name);
  const pool = createPool(db.url, { max: 2 });
  await runMigrations(pool, { model });
  return {
    model,
    db,
    pool,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

/**
 * One test file's worker processes: each test gets its own queue prefix and an empty catalog, and
 * every worker it started is killed afterwards. `start` runs a worker with the file's settings,
 * the test's own (`env`) winning.
 */
export interface WorkerLab {
  readonly testbed: WorkerTestbed;
  readonly prefix: string;
  readonly connection: Redis;
  readonly queue: EmbedQueue;
  /** A folder of the file's own (each worker's health file is `health-<n>.json` in it). */
  readonly scratch: string;
  start(env?: Record<string, string>): WorkerChild;
}

export function useWorkerLab(
  name: string,
  options: { retryPolicy: RetryPolicy; env: Record<string, string> },
): WorkerLab {
  const state: { testbed?: WorkerTestbed; prefix?: string; connection?: Redis; queue?: EmbedQueue } = {};
  let scratch = '';
  const children: WorkerChild[] = [];
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside a test`);
    return value;
  };

  beforeAll(async () => {
    state.testbed = await openWorkerTestbed(name);
    scratch = await mkdtemp(join(tmpdir(), `vectorizer-${name}-`));
  });
  beforeEach(async () => {
    state.prefix = uniquePrefix(name);
    state.connection = createWorkerConnection(TEST_REDIS_URL);
    state.queue = createEmbedQueue({
      connection: state.connection,
      prefix: state.prefix,
      retryPolicy: options.retryPolicy,
    });
    await state.testbed?.pool.query('TRUNCATE product_embeddings, products CASCADE');
  });
  afterEach(async () => {
    for (const { child } of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await state.queue?.obliterate({ force: true }).catch(() => undefined);
    await state.queue?.close().catch(() => undefined);
    await state.connection?.quit();
  });
  afterAll(async () => {
    await state.testbed?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  return {
    get testbed() {
      return required(state.testbed, 'the testbed');
    },
    get prefix() {
      return required(state.prefix, 'the queue prefix');
    },
    get connection() {
      return required(state.connection, 'the Redis connection');
    },
    get queue() {
      return required(state.queue, 'the queue');
    },
    get scratch() {
      return scratch;
    },
    start(env = {}) {
      const worker = spawnWorker({
        REDIS_URL: TEST_REDIS_URL,
        DATABASE_URL: required(state.testbed, 'the testbed').db.url,
        QUEUE_PREFIX: required(state.prefix, 'the queue prefix'),
        MODEL_DIR: DEV_TINY_MODEL_DIR,
        VECTORIZER_DEVICE: 'cpu',
        BATCH_SIZE: '4',
        WORKER_CONCURRENCY: '8',
        INFERENCE_THREADS: '1',
        IMAGE_ALLOW_PRIVATE_NETWORKS: 'true',
        WORKER_LOCK_DURATION_MS: '2000',
        WORKER_STALLED_INTERVAL_MS: '1000',
        WORKER_HEALTH_FILE: join(scratch, `health-${children.length}.json`),
        WORKER_ID: `${name}-${children.length}`,
        ...options.env,
        ...env,
      });
      children.push(worker);
      return worker;
    },
  };
}
