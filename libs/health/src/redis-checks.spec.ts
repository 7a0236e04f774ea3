import { startRedisServer, type RedisServerHandle } from '@vectorizer/testing';
import IORedis, { type Redis } from 'ioredis';
import { checkRedisEvictionPolicy, checkRedisPersistence, checkRedisReachable } from './redis-checks';

// A private redis-server per case: the checks read and the tests change its configuration.
describe('redis checks', () => {
  let server: RedisServerHandle;
  let redis: Redis;

  afterEach(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('fails persistence without AOF or snapshots, and the eviction policy when keys may be evicted', async () => {
    server = await startRedisServer();
    redis = new IORedis(server.url);
    expect((await checkRedisReachable(redis)).status).toBe('ok');

    const persistence = await checkRedisPersistence(redis);
    expect(persistence.status).toBe('fail');
    expect(persistence.fix).toContain('appendonly yes');

    // Local development (the quick start's own Redis): the same finding is advice.
    const advice = await checkRedisPersistence(redis, { localDevelopment: true });
    expect(advice).toMatchObject({ status: 'warn', detail: expect.stringContaining('local development') });
    expect(advice.fix).toContain('enqueue --missing');

    await redis.config('SET', 'save', '900 1');
    expect((await checkRedisPersistence(redis)).status).toBe('warn');

    expect((await checkRedisEvictionPolicy(redis)).status).toBe('ok');
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const eviction = await checkRedisEvictionPolicy(redis);
    expect(eviction).toMatchObject({ status: 'fail' });
    expect(eviction.detail).toContain('allkeys-lru');
    expect(eviction.fix).toContain('CONFIG SET maxmemory-policy noeviction');
  });

  it('passes persistence with AOF on', async () => {
    server = await startRedisServer({ appendonly: true });
    redis = new IORedis(server.url);
    expect(await checkRedisPersistence(redis)).toMatchObject({ status: 'ok', detail: 'appendonly yes' });
  });
});
