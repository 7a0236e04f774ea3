import { EmbeddingsRepository, createPool } from '@vectorizer/store';
import { createEmbedQueue, enqueueProducts } from '@vectorizer/queue';
import type pg from 'pg';
import { startTcpProxy, type TcpProxy } from '@vectorizer/testing';
import { eventually, startPipelineFixture, type PipelineFixture } from './testing/pipeline-fixture';

describe('EmbedWorker when a dependency goes away', () => {
  let fx: PipelineFixture;
  let proxy: TcpProxy;
  let proxiedPool: pg.Pool;

  beforeAll(async () => {
    fx = await startPipelineFixture('pipeline_outage', { attempts: 2, backoffMs: 20 });
    // The worker reaches Postgres only through this proxy: closing it is an outage for this pool
    // alone, while the shared server keeps serving every other test.
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    proxiedPool = createPool(`postgres://postgres@127.0.0.1:${proxy.port}/test`, { schema: fx.schema.schema, max: 2 });
    proxiedPool.on('error', () => undefined);
  });
  afterAll(async () => {
    await fx?.close();
    await proxiedPool?.end();
    await proxy?.close();
  });

  it('pauses while Postgres is down, uses no attempts, dead-letters nothing, and finishes once it is back', async () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ id: `o${i}`, imageUrl: fx.images.imageUrl(100 + i) }));
    await fx.ingest(items);
    await proxy.down();
    const postponedBefore = (await fx.metrics.jobsPostponed.get()).values.reduce((sum, v) => sum + v.value, 0);
    const worker = fx.worker({
      embeddings: new EmbeddingsRepository(proxiedPool),
      probes: {
        postgres: async () => {
          await proxiedPool.query('SELECT 1');
        },
        redis: async () => {
          await fx.connection.ping();
        },
      },
    });
    worker.start();

    await eventually(async () => worker.state === 'paused', 'worker paused');
    await eventually(
      async () => (await fx.metrics.jobsPostponed.get()).values.reduce((sum, v) => sum + v.value, 0) > postponedBefore,
      'jobs postponed',
    );
    // While it is down: no job failed, none was dead-lettered, none used an attempt.
    const jobs = await fx.queue.getJobs(['waiting', 'delayed', 'active', 'failed']);
    expect(jobs.length).toBe(12);
    expect(jobs.every((job) => job.attemptsMade === 0)).toBe(true);
    expect(await fx.queue.getJobCountByTypes('failed')).toBe(0);
    expect(await fx.deadLetters.count()).toBe(0);

    await proxy.up();
    await eventually(
      async () => (await fx.embeddings.countEmbedded(fx.model.id)) === 12,
      'all 12 embedded after the outage',
    );
    await eventually(async () => worker.state === 'running', 'worker resumed');
    await eventually(
      async () => (await fx.queue.getJobCountByTypes('waiting', 'active', 'delayed')) === 0,
      'queue drained',
    );
    expect(await fx.queue.getJobCountByTypes('failed')).toBe(0);
    expect(await fx.deadLetters.count()).toBe(0);
    expect(await fx.rowCount()).toBe(12);
    await worker.close(10_000);
  });

  it('honours Retry-After: the retry waits at least as long as the server asked', async () => {
    const imageUrl = fx.images.flakyUrl('retry-after', 1, 2);
    // A 20 ms backoff of its own: the Retry-After delay is part of BullMQ's scheduling decision
    // (embedBackoffStrategy), so no event-loop delay can let the short backoff win.
    await fx.products.upsertMany([{ id: 'ra', imageUrl }]);
    const queue = createEmbedQueue({
      connection: fx.connection,
      prefix: fx.prefix,
      retryPolicy: { attempts: 3, backoffMs: 20 },
    });
    await enqueueProducts({ queue, connection: fx.connection }, [{ id: 'ra', imageUrl }], fx.model.id);
    await queue.close();
    const worker = fx.worker();
    worker.start();
    await eventually(async () => fx.images.hits(new URL(imageUrl).pathname) >= 1, 'first attempt');
    const job = (await fx.queue.getJobs(['delayed', 'waiting', 'active', 'failed']))[0];
    // Backoff alone would retry after 10-20 ms; the 503 asked for 2 s.
    await eventually(async () => {
      const fresh = job?.id ? await fx.queue.getJob(job.id) : undefined;
      return (fresh?.delay ?? 0) >= 2_000;
    }, 'retry delayed by Retry-After');
    await eventually(async () => (await fx.embeddings.countEmbedded(fx.model.id)) === 13, 'retried and embedded');
    expect(fx.images.hits(new URL(imageUrl).pathname)).toBe(2);
    await worker.close(10_000);
  });
});
