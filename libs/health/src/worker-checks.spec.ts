import { TEST_REDIS_URL, heartbeatFixture, uniquePrefix } from '@vectorizer/testing';
import IORedis from 'ioredis';
import { checkWorkers } from './worker-checks';
import { readWorkerHeartbeats } from './worker-heartbeats';

const redis = new IORedis(TEST_REDIS_URL);
const prefix = uniquePrefix('health-workers');

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('checkWorkers', () => {
  it('fails when no worker heartbeats', async () => {
    const result = await checkWorkers(redis, prefix);
    expect(result.status).toBe('fail');
    expect(result.fix).toContain('npx vectorizer worker');
  });

  it('lists live workers with device and model, skipping malformed heartbeats', async () => {
    await redis.set(`${prefix}:workers:w1`, heartbeatFixture('w1', 'org/model'), 'PX', 20_000);
    await redis.set(`${prefix}:workers:broken`, '{"workerId":', 'PX', 20_000);
    expect((await readWorkerHeartbeats(redis, prefix)).map((w) => w.workerId)).toEqual(['w1']);
    const result = await checkWorkers(redis, prefix, 'org/model');
    expect(result.status).toBe('ok');
    expect(result.detail).toContain('w1 on cuda:0');
    expect(result.detail).toContain('model org/model');
  });

  it('warns when a worker embeds with another model than the one searched', async () => {
    await redis.set(`${prefix}:workers:w2`, heartbeatFixture('w2', 'org/other'), 'PX', 20_000);
    const result = await checkWorkers(redis, prefix, 'org/model');
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('other than org/model');
  });
});
