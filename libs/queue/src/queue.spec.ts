import type { Redis } from 'ioredis';
import { connectForCommand } from './connection';
import { closeTestQueue, openTestQueue, processAll } from './test-support/test-queue';
import type { EmbedQueue } from './embed-queue';
import { enqueueProducts } from './producer';
import { getQueueStats } from './queue-stats';
import { jobIdFor } from './job-payload';
import { RedisUnavailableError } from './errors';
import { freePort, uniquePrefix } from '@vectorizer/testing';

const MODEL = 'test/model';
const products = (n: number, image = 'a') =>
  Array.from({ length: n }, (_, i) => ({ id: `p${i}`, imageUrl: `https://cdn.example/${image}/${i}.jpg` }));

describe('embed queue (real Redis)', () => {
  let connection: Redis;
  let queue: EmbedQueue;
  const prefix = uniquePrefix('queue');

  beforeAll(async () => ({ connection, queue } = await openTestQueue(prefix, { attempts: 2, backoffMs: 10 })));
  afterEach(() => queue.obliterate({ force: true }));
  afterAll(() => closeTestQueue(queue, connection));

  it('keeps keys under the hash-tag prefix', async () => {
    await enqueueProducts({ queue, connection }, products(1), MODEL);
    const keys = await connection.keys(`${prefix}:embed:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(await connection.exists(`${prefix}:embed:${jobIdFor('p0', 'https://cdn.example/a/0.jpg', MODEL)}`)).toBe(1);
  });

  it('adds in chunks and skips products whose job is pending', async () => {
    expect(await enqueueProducts({ queue, connection }, products(25), MODEL, { chunkSize: 10 })).toEqual({
      enqueued: 25,
      alreadyQueued: 0,
    });
    expect(await enqueueProducts({ queue, connection }, products(30), MODEL, { chunkSize: 10 })).toEqual({
      enqueued: 5,
      alreadyQueued: 25,
    });
    expect((await getQueueStats(queue)).waiting).toBe(30);
    const job = await queue.getJob(jobIdFor('p3', 'https://cdn.example/a/3.jpg', MODEL));
    expect(job?.data).toMatchObject({ productId: 'p3', imageUrl: 'https://cdn.example/a/3.jpg', model: MODEL });
    expect(job?.opts).toMatchObject({
      attempts: 2,
      backoff: { type: 'exponential-or-retry-after', delay: 10, jitter: 0.5 },
      removeOnComplete: { count: 1_000, age: 3_600 },
      removeOnFail: { count: 100_000, age: 14 * 24 * 3_600 },
    });
  });

  it('makes a new job for a changed image or a new model', async () => {
    await enqueueProducts({ queue, connection }, products(3), MODEL);
    expect(await enqueueProducts({ queue, connection }, products(3, 'b'), MODEL)).toEqual({
      enqueued: 3,
      alreadyQueued: 0,
    });
    expect(await enqueueProducts({ queue, connection }, products(3), 'other/model')).toEqual({
      enqueued: 3,
      alreadyQueued: 0,
    });
  });

  it('counts a product listed twice in one call once', async () => {
    expect(await enqueueProducts({ queue, connection }, [...products(2), ...products(2)], MODEL)).toEqual({
      enqueued: 2,
      alreadyQueued: 2,
    });
  });

  it('keeps completed jobs, and still lets the same product be embedded again', async () => {
    await enqueueProducts({ queue, connection }, products(2), MODEL);
    await processAll(queue, prefix, async () => undefined);
    expect(await getQueueStats(queue)).toMatchObject({ waiting: 0, completed: 2 });
    expect(await enqueueProducts({ queue, connection }, products(2), MODEL)).toEqual({ enqueued: 2, alreadyQueued: 0 });
    expect(await getQueueStats(queue)).toMatchObject({ waiting: 2, completed: 0 });
  });

  it('replaces a failed job kept under the same id instead of skipping the product', async () => {
    await enqueueProducts({ queue, connection }, products(2), MODEL);
    await processAll(queue, prefix, async () => {
      throw new Error('boom');
    });
    expect((await getQueueStats(queue)).failed).toBe(2);
    expect(await enqueueProducts({ queue, connection }, products(3), MODEL)).toEqual({ enqueued: 3, alreadyQueued: 0 });
    expect(await getQueueStats(queue)).toMatchObject({ waiting: 3, failed: 0 });
    const job = await queue.getJob(jobIdFor('p0', 'https://cdn.example/a/0.jpg', MODEL));
    expect(job?.attemptsMade).toBe(0);
  });
});

describe('connectForCommand', () => {
  it('fails fast with REDIS_UNAVAILABLE naming the URL when nothing listens', async () => {
    const url = `redis://:secret@127.0.0.1:${await freePort()}`;
    const error = await connectForCommand(url, { connectTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as RedisUnavailableError).code).toBe('REDIS_UNAVAILABLE');
    expect((error as Error).message).toContain('127.0.0.1');
    expect((error as Error).message).not.toContain('secret');
    expect((error as RedisUnavailableError).hint).toContain('REDIS_URL');
  });
});
