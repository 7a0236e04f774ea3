import type { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { connectForCommand } from './connection';
import { closeTestQueue, openTestQueue } from './test-support/test-queue';
import type { EmbedQueue } from './embed-queue';
import { enqueueProducts } from './producer';
import { oldestWaitingAgeSeconds } from './queue-stats';
import { watchScriptCommands } from './test-support/script-monitor';

describe('oldestWaitingAgeSeconds (real Redis)', () => {
  let connection: Redis;
  let queue: EmbedQueue;
  const prefix = uniquePrefix('queue_stats');

  beforeAll(async () => ({ connection, queue } = await openTestQueue(prefix, { attempts: 1, backoffMs: 10 })));
  afterAll(() => closeTestQueue(queue, connection));

  it('is 0 with nothing waiting, then the age of the job at the head of the wait list', async () => {
    expect(await oldestWaitingAgeSeconds(queue, connection)).toBe(0);
    await enqueueProducts({ queue, connection }, [{ id: 'p1', imageUrl: 'https://cdn.example/1.jpg' }], 'test/model');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const age = await oldestWaitingAgeSeconds(queue, connection);
    expect(age).toBeGreaterThanOrEqual(0.04);
    expect(age).toBeLessThan(5);
  });

  it('runs its script by SHA: the text crosses the wire at most once per connection', async () => {
    const fresh = await connectForCommand(TEST_REDIS_URL);
    // Only this function's script runs from here on, so every script command seen is its own.
    const monitor = await watchScriptCommands(prefix);
    try {
      for (let i = 0; i < 3; i += 1) await oldestWaitingAgeSeconds(queue, fresh);
      const counts = await monitor.counts();
      expect(counts.eval).toBeLessThanOrEqual(1);
      expect(counts.evalsha).toBeGreaterThanOrEqual(2);
    } finally {
      monitor.stop();
      await fresh.quit();
    }
  });
});
