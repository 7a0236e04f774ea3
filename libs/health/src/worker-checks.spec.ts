import { WorkerRegistry, createEmbedQueue, workerRegistryKeys } from '@vectorizer/queue';
import { TEST_REDIS_URL, heartbeatFixture, uniquePrefix } from '@vectorizer/testing';
import IORedis from 'ioredis';
import { checkWorkers, readLiveWorkers } from './worker-checks';

const redis = new IORedis(TEST_REDIS_URL);
const prefix = uniquePrefix('health-workers');
const registry = new WorkerRegistry(redis, prefix);
const beat = (workerId: string, model: string, ttlMs = 20_000) =>
  registry.beat(JSON.parse(heartbeatFixture(workerId, model)), { ttlMs, metricsJson: '[]' });

afterAll(async () => {
  await redis.del(...workerRegistryKeys(prefix));
  redis.disconnect();
});

describe('checkWorkers', () => {
  it('fails when no worker is registered', async () => {
    const result = await checkWorkers(redis, prefix);
    expect(result.status).toBe('fail');
    expect(result.fix).toContain('npx vectorizer worker');
  });

  it('warns (not fails) without a worker when the queue is finished, fails while it holds work', async () => {
    const queue = createEmbedQueue({ connection: redis, prefix, retryPolicy: { attempts: 1, backoffMs: 1_000 } });
    try {
      const finished = await checkWorkers(redis, prefix, 'org/model', queue);
      expect(finished).toMatchObject({ status: 'warn', detail: expect.stringContaining('no job waiting') });
      await queue.add('embed', { productId: 'p1' } as never);
      const waiting = await checkWorkers(redis, prefix, 'org/model', queue);
      expect(waiting).toMatchObject({ status: 'fail', detail: 'no live worker' });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('lists live workers with device and model, skipping malformed records', async () => {
    await beat('w1', 'org/model');
    const [live, heartbeats] = workerRegistryKeys(prefix);
    await redis.zadd(live, Date.now() + 20_000, 'broken');
    await redis.hset(heartbeats, 'broken', '{"workerId":');
    expect((await readLiveWorkers(redis, prefix)).map((w) => w.workerId)).toEqual(['w1']);
    const result = await checkWorkers(redis, prefix, 'org/model');
    expect(result.status).toBe('ok');
    expect(result.detail).toContain('w1 on cuda:0');
    expect(result.detail).toContain('model org/model');
  });

  it('warns when a worker embeds with another model than the one searched', async () => {
    await beat('w2', 'org/other');
    const result = await checkWorkers(redis, prefix, 'org/model');
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('other than org/model');
  });

  it('drops a worker whose entry expired, keeps its last snapshot for the retention, then forgets it', async () => {
    // Every reader prunes with its own retention: this test reads through one with a short one.
    const shortRetention = new WorkerRegistry(redis, prefix, { retainStoppedMs: 150 });
    await shortRetention.beat(JSON.parse(heartbeatFixture('w3', 'org/model')), { ttlMs: 50, metricsJson: '[]' });
    expect((await shortRetention.liveWorkers()).map((w) => w.workerId)).toContain('w3');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await shortRetention.liveWorkers()).map((w) => w.workerId)).not.toContain('w3');
    expect(await shortRetention.metrics()).toContainEqual({ workerId: 'w3', json: '[]', retired: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await shortRetention.metrics();
    const [live, heartbeats, metrics, retired] = workerRegistryKeys(prefix);
    expect(await redis.zscore(live, 'w3')).toBeNull();
    expect(await redis.zscore(retired, 'w3')).toBeNull();
    expect(await redis.hexists(heartbeats, 'w3')).toBe(0);
    expect(await redis.hexists(metrics, 'w3')).toBe(0);
  });

  it('forgets a worker that leaves', async () => {
    await registry.remove('w1');
    expect((await readLiveWorkers(redis, prefix)).map((w) => w.workerId)).not.toContain('w1');
  });
});
