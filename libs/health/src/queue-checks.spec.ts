import { createEmbedQueue, DeadLetters, type EmbedQueue } from '@vectorizer/queue';
import { TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { checkDeadLetters, checkQueueJobs } from './queue-checks';

const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('health-queue');
let queue: EmbedQueue;
let deadLetters: DeadLetters;

beforeAll(() => {
  queue = createEmbedQueue({ connection: redis, prefix, retryPolicy: { attempts: 1, backoffMs: 1_000 } });
  deadLetters = new DeadLetters(queue);
});

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
});

const payload = (productId: string) => ({
  productId,
  imageUrl: `https://img.test/${productId}.jpg`,
  model: 'm',
  enqueuedAt: new Date().toISOString(),
});

describe('checkQueueJobs', () => {
  it('is ok on an idle queue and reports depth', async () => {
    await queue.add('embed', payload('p1'));
    const result = await checkQueueJobs(queue, redis);
    expect(result.status).toBe('ok');
    expect(result.detail).toContain('waiting 1');
  });

  it('warns about an active job whose worker died (its lock is gone)', async () => {
    const worker = new Worker(queue.name, null, { connection: redis, prefix, autorun: false });
    try {
      const job = await worker.getNextJob('token-1');
      expect(job?.data.productId).toBe('p1');
      expect((await checkQueueJobs(queue, redis)).detail).toContain('stalled 0');
      // What a crashed worker leaves behind: the job still active, its lock expired.
      await redis.del(`${queue.toKey(job?.id ?? '')}:lock`);
      const result = await checkQueueJobs(queue, redis);
      expect(result.status).toBe('warn');
      expect(result.detail).toContain('active 1');
      expect(result.detail).toContain('stalled 1');
      expect(result.fix).toContain('worker died');
    } finally {
      await worker.close(true);
    }
  });
});

describe('checkDeadLetters', () => {
  it('warns with the list and retry commands when jobs failed for good', async () => {
    expect((await checkDeadLetters(deadLetters)).status).toBe('ok');
    await queue.add('embed', payload('p404'), { jobId: 'j-404' });
    const worker = new Worker(queue.name, null, { connection: redis, prefix, autorun: false });
    try {
      let job = await worker.getNextJob('token-2');
      while (job && job.id !== 'j-404') job = await worker.getNextJob('token-2');
      await job?.moveToFailed(new UnrecoverableError('FETCH_NOT_FOUND: image gone'), 'token-2');
    } finally {
      await worker.close(true);
    }
    const result = await checkDeadLetters(deadLetters);
    expect(result).toMatchObject({ status: 'warn', detail: '1 job(s) dead-lettered' });
    expect(result.fix).toContain('dlq list');
    expect(result.fix).toContain('dlq retry');
  });
});
