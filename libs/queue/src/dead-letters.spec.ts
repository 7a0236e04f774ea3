import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { meaningOf } from '@vectorizer/errors';
import { TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { createWorkerConnection } from './connection';
import { closeTestQueue, openTestQueue, processAll } from './test-support/test-queue';
import { parseFailedReason } from './dead-letter-entry';
import { DeadLetters } from './dead-letters';
import { createEmbedQueue, type EmbedQueue } from './embed-queue';
import { jobIdFor } from './job-payload';
import { enqueueProducts } from './producer';
import { getQueueStats } from './queue-stats';

const MODEL = 'test/model';
const products = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `p${i}`, imageUrl: `https://cdn.example/${i}.jpg` }));

describe('parseFailedReason', () => {
  it('reads the code the pipeline puts first', () => {
    expect(parseFailedReason('FETCH_NOT_FOUND: HTTP 404 from https://x/a.jpg')).toEqual({
      code: 'FETCH_NOT_FOUND',
      message: 'HTTP 404 from https://x/a.jpg',
    });
  });

  it("names BullMQ's own stall failures JOB_STALLED and anything else UNEXPECTED_ERROR", () => {
    expect(parseFailedReason('job stalled more than allowable limit').code).toBe('JOB_STALLED');
    expect(parseFailedReason('job started more than allowable limit').code).toBe('JOB_STALLED');
    expect(parseFailedReason('TypeError: x is undefined')).toEqual({
      code: 'UNEXPECTED_ERROR',
      message: 'TypeError: x is undefined',
    });
    expect(parseFailedReason('boom')).toEqual({ code: 'UNEXPECTED_ERROR', message: 'boom' });
    expect(parseFailedReason(undefined).code).toBe('UNEXPECTED_ERROR');
  });
});

describe('dead letters = the embed queue failed set (real Redis)', () => {
  let connection: Redis;
  let queue: EmbedQueue;
  let deadLetters: DeadLetters;
  const prefix = uniquePrefix('dead-letters');

  beforeAll(async () => {
    ({ connection, queue } = await openTestQueue(prefix, { attempts: 2, backoffMs: 10 }));
    deadLetters = new DeadLetters(queue);
  });
  afterEach(() => queue.obliterate({ force: true }));
  afterAll(() => closeTestQueue(queue, connection));

  it('holds each dead letter once, with code, reason, hint, attempts, timestamps and payload', async () => {
    await enqueueProducts({ queue, connection }, products(3), MODEL);
    await processAll(queue, prefix, async (job) => {
      if (job.data.productId === 'p0') throw new UnrecoverableError('FETCH_NOT_FOUND: HTTP 404 from the CDN');
      throw new Error('FETCH_TIMEOUT: no answer within 15000 ms');
    });

    expect(await deadLetters.count()).toBe(3);
    expect((await getQueueStats(queue)).failed).toBe(3);
    // No second copy anywhere: every key under the prefix belongs to the embed queue.
    const keys = await connection.keys(`${prefix}:*`);
    expect(keys.filter((key) => !key.startsWith(`${prefix}:embed:`))).toEqual([]);

    const letters = new Map((await deadLetters.list()).map((letter) => [letter.payload?.productId, letter]));
    expect(letters.get('p0')).toMatchObject({
      jobId: jobIdFor('p0', 'https://cdn.example/0.jpg', MODEL),
      code: 'FETCH_NOT_FOUND',
      reason: 'HTTP 404 from the CDN',
      hint: meaningOf('FETCH_NOT_FOUND').hint,
      attemptsMade: 1,
      payload: { productId: 'p0', imageUrl: 'https://cdn.example/0.jpg', model: MODEL },
    });
    expect(letters.get('p1')).toMatchObject({ code: 'FETCH_TIMEOUT', attemptsMade: 2 });
    const p1 = letters.get('p1');
    expect(Date.parse(p1?.failedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(p1?.createdAt ?? ''));
    expect(await deadLetters.list({ offset: 1, limit: 1 })).toHaveLength(1);
  });

  it('retries one or all with a fresh attempt budget, and purges', async () => {
    await enqueueProducts({ queue, connection }, products(3), MODEL);
    await processAll(queue, prefix, async () => {
      throw new Error('FETCH_HTTP_5XX: 503');
    });
    const [first] = await deadLetters.list();
    expect(first.attemptsMade).toBe(2);

    expect(await deadLetters.retry([first.jobId, 'nope'])).toEqual({ retried: 1, notFound: ['nope'] });
    const again = await queue.getJob(first.jobId);
    expect(await again?.getState()).toBe('waiting');
    expect(again?.attemptsMade).toBe(0);
    expect(again?.failedReason).toBeFalsy();
    expect(await deadLetters.count()).toBe(2);
    // Retrying a job that is no longer failed is reported, not silently counted.
    expect(await deadLetters.retry([first.jobId])).toEqual({ retried: 0, notFound: [first.jobId] });

    expect(await deadLetters.retry('all')).toEqual({ retried: 2, notFound: [] });
    expect(await getQueueStats(queue)).toMatchObject({ waiting: 3, failed: 0 });

    // The fresh budget is real: each job is tried `attempts` times again before it fails.
    let tries = 0;
    await processAll(queue, prefix, async () => {
      tries += 1;
      throw new Error('FETCH_HTTP_5XX: 503');
    });
    expect(tries).toBe(6);
    expect(await deadLetters.purge()).toBe(3);
    expect(await deadLetters.count()).toBe(0);
  });

  it('receives jobs BullMQ fails by itself after they stalled too often, as JOB_STALLED', async () => {
    await enqueueProducts({ queue, connection }, products(1), MODEL);
    // A worker takes the job and dies holding it (force-closed: its lock is never renewed).
    const dyingConnection = createWorkerConnection(TEST_REDIS_URL);
    let taken!: () => void;
    const tookIt = new Promise<void>((resolve) => (taken = resolve));
    const dying = new Worker(queue.name, () => (taken(), new Promise<void>(() => undefined)), {
      connection: dyingConnection,
      prefix,
      lockDuration: 1_000,
      // Its own stalled check would hold the queue's check slot for a whole interval.
      skipStalledCheck: true,
    });
    await tookIt;
    await dying.close(true);
    await dyingConnection.quit();

    // Another worker's stalled checker finds the job without a lock; with maxStalledCount 0 it fails.
    let processed = 0;
    await processAll(
      queue,
      prefix,
      async () => {
        processed += 1;
      },
      { stalledInterval: 500, maxStalledCount: 0, lockDuration: 1_000 },
      async () => (await deadLetters.count()) === 1,
    );
    expect(processed).toBe(0);
    const [letter] = await deadLetters.list();
    expect(letter).toMatchObject({ code: 'JOB_STALLED', hint: meaningOf('JOB_STALLED').hint });
    expect(letter.reason).toContain('stalled');
  });

  it('bounds finished jobs by count (retention)', async () => {
    const bounded = createEmbedQueue({
      connection,
      prefix,
      retryPolicy: { attempts: 1, backoffMs: 10 },
      retention: { completed: { count: 2, ageSeconds: 3_600 }, failed: { count: 3, ageSeconds: 3_600 } },
    });
    try {
      await enqueueProducts({ queue: bounded, connection }, products(12), MODEL);
      await processAll(bounded, prefix, async (job) => {
        if (Number(job.data.productId.slice(1)) % 2 === 0) throw new Error('IMAGE_CORRUPT: bad bytes');
      });
      const stats = await getQueueStats(bounded);
      expect(stats).toMatchObject({ completed: 2, failed: 3 });
      // The job hashes of trimmed jobs are gone too, not just their set entries.
      const jobKeys = (await connection.keys(`${prefix}:embed:*`)).filter((key) => /:embed:[0-9a-f]{64}$/.test(key));
      expect(jobKeys).toHaveLength(5);
    } finally {
      await bounded.close();
    }
  });
});
