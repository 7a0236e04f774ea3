import { startRedisServer, type RedisServerHandle } from '@vectorizer/testing';
import { eventually, startPipelineFixture, type PipelineFixture } from './testing/pipeline-fixture';

describe('EmbedWorker when Redis crashes mid-run', () => {
  let redis: RedisServerHandle;
  let fx: PipelineFixture;

  beforeAll(async () => {
    // A private server (append-only, fsync always) that this test may kill; the shared one stays up.
    redis = await startRedisServer({ appendonly: true });
    fx = await startPipelineFixture('pipeline_redis_outage', { attempts: 2, backoffMs: 20 }, redis.url);
  });
  afterAll(async () => {
    await fx?.close();
    await redis?.stop();
  });

  it('loses no job, fails none and dead-letters none across a Redis kill -9 and restart', async () => {
    fx.images.setDelayMs(100);
    const items = Array.from({ length: 24 }, (_, i) => ({ id: `r${i}`, imageUrl: fx.images.imageUrl(200 + i) }));
    await fx.ingest(items);
    // Jobs active when Redis died come back through stalled-job recovery once their locks expire:
    // short locks keep that inside the test's time (production waits WORKER_LOCK_DURATION_MS).
    const worker = fx.worker({
      concurrency: 4,
      batch: { maxBatchSize: 4, maxWaitMs: 20 },
      lockDurationMs: 5_000,
      stalledIntervalMs: 2_000,
    });
    worker.start();
    await eventually(async () => (await fx.rowCount()) >= 4, 'first batch written');
    await redis.kill9();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis.restart();

    await eventually(async () => (await fx.embeddings.countEmbedded(fx.model.id)) === 24, 'all 24 embedded', 80_000);
    await eventually(
      async () => (await fx.queue.getJobCountByTypes('waiting', 'active', 'delayed')) === 0,
      'queue drained',
      30_000,
    );
    expect(await fx.queue.getJobCountByTypes('failed')).toBe(0);
    expect(await fx.deadLetters.count()).toBe(0);
    expect(await fx.rowCount()).toBe(24);
    await worker.close(10_000);
  }, 150_000);
});
