import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedModel } from '@vectorizer/embedder';
import {
  DeadLetters,
  WorkerRegistry,
  createEmbedQueue,
  createWorkerConnection,
  enqueueProducts,
  type EmbedQueue,
} from '@vectorizer/queue';
import { ProductsRepository } from '@vectorizer/store';
import { TEST_REDIS_URL, uniquePrefix, type TestDatabase } from '@vectorizer/testing';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import {
  DEV_TINY_DIR,
  eventually,
  openWorkerTestbed,
  spawnWorker,
  startSlowImageServer,
  type WorkerChild,
  type WorkerTestbed,
} from './test-support/worker-harness';

describe('worker process (apps/worker/src/main.ts)', () => {
  let testbed: WorkerTestbed;
  let model: ResolvedModel;
  let db: TestDatabase;
  let pool: pg.Pool;
  let prefix: string;
  let connection: Redis;
  let queue: EmbedQueue;
  let deadLetters: DeadLetters;
  let scratch: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    testbed = await openWorkerTestbed('worker_process');
    ({ model, db, pool } = testbed);
    scratch = await mkdtemp(join(tmpdir(), 'vectorizer-worker-test-'));
  });

  beforeEach(async () => {
    prefix = uniquePrefix('worker-process');
    connection = createWorkerConnection(TEST_REDIS_URL);
    queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 3, backoffMs: 20 } });
    deadLetters = new DeadLetters(queue);
    await pool.query('TRUNCATE product_embeddings, products CASCADE');
  });

  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close().catch(() => undefined);
    await connection.quit();
  });

  afterAll(async () => {
    await testbed?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  function startWorker(env: Record<string, string> = {}): WorkerChild {
    const worker = spawnWorker({
      REDIS_URL: TEST_REDIS_URL,
      DATABASE_URL: db.url,
      QUEUE_PREFIX: prefix,
      MODEL_DIR: DEV_TINY_DIR,
      VECTORIZER_DEVICE: 'cpu',
      BATCH_SIZE: '4',
      WORKER_CONCURRENCY: '8',
      INFERENCE_THREADS: '1',
      IMAGE_ALLOW_PRIVATE_NETWORKS: 'true',
      JOB_ATTEMPTS: '3',
      JOB_BACKOFF_MS: '20',
      WORKER_LOCK_DURATION_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      WORKER_SHUTDOWN_TIMEOUT_MS: '20000',
      WORKER_HEALTH_FILE: join(scratch, `health-${children.length}.json`),
      WORKER_ID: `test-worker-${children.length}`,
      ...env,
    });
    children.push(worker.child);
    return worker;
  }

  async function ingest(count: number, origin: string): Promise<void> {
    const items = Array.from({ length: count }, (_, i) => ({ id: `w${i}`, imageUrl: `${origin}/img/${i}.png` }));
    await new ProductsRepository(pool).upsertMany(items);
    await enqueueProducts({ queue, connection }, items, model.id);
  }

  const rowCount = async () =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM product_embeddings')).rows[0]?.n);
  const pending = () => queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized');

  it('exits 78 with the named cause and takes no job when the model cannot load', async () => {
    const images = await startSlowImageServer(0);
    try {
      await ingest(3, images.origin);
      const broken = join(scratch, 'broken-model');
      await rm(broken, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(join(broken, 'onnx'), { recursive: true }));
      await writeFile(join(broken, 'config.json'), '{ not json');
      const worker = startWorker({ MODEL_DIR: broken });
      expect(await worker.exited).toBe(78);
      const fatal = worker
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":"fatal"'));
      expect(fatal).toHaveLength(1);
      expect(JSON.parse(fatal[0] as string).code).toMatch(/^MODEL_/);
      const jobs = await queue.getJobs(['waiting']);
      expect(jobs).toHaveLength(3);
      expect(jobs.every((job) => job.attemptsMade === 0)).toBe(true);
      expect(await new WorkerRegistry(connection, prefix).liveWorkers()).toEqual([]);
    } finally {
      await images.close();
    }
  });

  it('after kill -9 mid-batch, a second worker finishes: every product embedded exactly once', async () => {
    const images = await startSlowImageServer(150);
    try {
      await ingest(40, images.origin);
      const first = startWorker();
      await eventually(async () => (await rowCount()) >= 1, 'first rows written');
      first.child.kill('SIGKILL');
      await first.exited;
      // It died holding jobs: they are still active under its (now expiring) locks.
      expect(await queue.getActiveCount()).toBeGreaterThan(0);
      expect(await rowCount()).toBeLessThan(40);

      const second = startWorker();
      await eventually(async () => (await rowCount()) === 40 && (await pending()) === 0, 'all 40 embedded');
      const perProduct = await pool.query<{ product_id: string; n: string }>(
        'SELECT product_id, count(*) AS n FROM product_embeddings GROUP BY product_id HAVING count(*) <> 1',
      );
      expect(perProduct.rows).toEqual([]);
      expect(await queue.getJobCountByTypes('failed')).toBe(0);
      expect(await deadLetters.count()).toBe(0);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await images.close();
    }
  });

  it('publishes heartbeat, metrics and health file, and on SIGTERM finishes its jobs and exits 0', async () => {
    const images = await startSlowImageServer(300);
    try {
      await ingest(24, images.origin);
      const worker = startWorker();
      const registry = new WorkerRegistry(connection, prefix);
      await eventually(async () => (await registry.liveWorkers()).length === 1, 'heartbeat');
      const [heartbeat] = await registry.liveWorkers();
      expect(heartbeat).toMatchObject({
        workerId: 'test-worker-0',
        device: 'cpu',
        provider: 'cpu',
        model: model.id,
        dimension: model.dimension,
        batchSize: 4,
        concurrency: 8,
        state: 'running',
      });
      const [snapshot] = await registry.liveMetrics();
      expect(snapshot?.workerId).toBe('test-worker-0');
      const metrics = JSON.parse(snapshot?.json ?? '[]') as { name: string }[];
      expect(metrics.map((metric) => metric.name)).toEqual(
        expect.arrayContaining(['vectorizer_jobs_completed_total', 'vectorizer_batch_size']),
      );
      expect(JSON.parse(await readFile(join(scratch, 'health-0.json'), 'utf8'))).toMatchObject({
        ok: true,
        model: model.id,
      });

      await eventually(async () => (await queue.getActiveCount()) > 0 && (await rowCount()) > 0, 'jobs in flight');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      // Every job it held was finished (row written, job completed); the rest wait untouched.
      expect(await queue.getActiveCount()).toBe(0);
      expect(await queue.getJobCountByTypes('failed', 'delayed')).toBe(0);
      const waiting = await queue.getJobs(['waiting']);
      expect(waiting.every((job) => job.attemptsMade === 0)).toBe(true);
      expect((await rowCount()) + waiting.length).toBe(24);
      expect(await registry.liveWorkers()).toEqual([]);
      expect(worker.output()).toContain('worker stopped');
    } finally {
      await images.close();
    }
  });
});
