import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeadLetters, WorkerRegistry, enqueueProducts } from '@vectorizer/queue';
import { ProductsRepository } from '@vectorizer/store';
import { eventually, startSlowImageServer, useWorkerLab, type WorkerChild } from './test-support/worker-harness';

describe('worker process (apps/worker/src/main.ts)', () => {
  const lab = useWorkerLab('worker_process', {
    retryPolicy: { attempts: 3, backoffMs: 20 },
    env: { JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '20', WORKER_SHUTDOWN_TIMEOUT_MS: '20000' },
  });
  const startWorker = (env: Record<string, string> = {}): WorkerChild => lab.start(env);

  async function ingest(count: number, origin: string): Promise<void> {
    const items = Array.from({ length: count }, (_, i) => ({ id: `w${i}`, imageUrl: `${origin}/img/${i}.png` }));
    await new ProductsRepository(lab.testbed.pool).upsertMany(items);
    await enqueueProducts({ queue: lab.queue, connection: lab.connection }, items, lab.testbed.model.id);
  }

  const rowCount = async () =>
    Number((await lab.testbed.pool.query<{ n: string }>('SELECT count(*) AS n FROM product_embeddings')).rows[0]?.n);
  const pending = () => lab.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized');

  it('exits 78 with the named cause and takes no job when the model cannot load', async () => {
    const images = await startSlowImageServer(0);
    try {
      await ingest(3, images.origin);
      const broken = join(lab.scratch, 'broken-model');
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
      const jobs = await lab.queue.getJobs(['waiting']);
      expect(jobs).toHaveLength(3);
      expect(jobs.every((job) => job.attemptsMade === 0)).toBe(true);
      expect(await new WorkerRegistry(lab.connection, lab.prefix).liveWorkers()).toEqual([]);
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
      expect(await lab.queue.getActiveCount()).toBeGreaterThan(0);
      expect(await rowCount()).toBeLessThan(40);

      const second = startWorker();
      await eventually(async () => (await rowCount()) === 40 && (await pending()) === 0, 'all 40 embedded');
      const perProduct = await lab.testbed.pool.query<{ product_id: string; n: string }>(
        'SELECT product_id, count(*) AS n FROM product_embeddings GROUP BY product_id HAVING count(*) <> 1',
      );
      expect(perProduct.rows).toEqual([]);
      expect(await lab.queue.getJobCountByTypes('failed')).toBe(0);
      expect(await new DeadLetters(lab.queue).count()).toBe(0);
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
      const registry = new WorkerRegistry(lab.connection, lab.prefix);
      await eventually(async () => (await registry.liveWorkers()).length === 1, 'heartbeat');
      const [heartbeat] = await registry.liveWorkers();
      expect(heartbeat).toMatchObject({
        workerId: 'worker_process-0',
        device: 'cpu',
        provider: 'cpu',
        model: lab.testbed.model.id,
        dimension: lab.testbed.model.dimension,
        batchSize: 4,
        concurrency: 8,
        state: 'running',
      });
      const [snapshot] = (await registry.metrics()).filter((entry) => !entry.retired);
      expect(snapshot?.workerId).toBe('worker_process-0');
      const metrics = JSON.parse(snapshot?.json ?? '[]') as { name: string }[];
      expect(metrics.map((metric) => metric.name)).toEqual(
        expect.arrayContaining(['vectorizer_jobs_completed_total', 'vectorizer_batch_size']),
      );
      expect(JSON.parse(await readFile(join(lab.scratch, 'health-0.json'), 'utf8'))).toMatchObject({
        ok: true,
        model: lab.testbed.model.id,
      });

      await eventually(async () => (await lab.queue.getActiveCount()) > 0 && (await rowCount()) > 0, 'jobs in flight');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      // Every job it held was finished (row written, job completed); the rest wait untouched.
      expect(await lab.queue.getActiveCount()).toBe(0);
      expect(await lab.queue.getJobCountByTypes('failed', 'delayed')).toBe(0);
      const waiting = await lab.queue.getJobs(['waiting']);
      expect(waiting.every((job) => job.attemptsMade === 0)).toBe(true);
      expect((await rowCount()) + waiting.length).toBe(24);
      expect(await registry.liveWorkers()).toEqual([]);
      expect(worker.output()).toContain('worker stopped');
    } finally {
      await images.close();
    }
  });
});
