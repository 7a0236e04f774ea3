import type { Redis } from 'ioredis';
import { connectForCommand, createEmbedQueue, type EmbedQueue, type QueueStats } from '@vectorizer/queue';
import { TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { waitUntilDrained } from './drain-watcher';

describe('waitUntilDrained (real Redis)', () => {
  let connection: Redis;
  let queue: EmbedQueue;

  beforeAll(async () => {
    connection = await connectForCommand(TEST_REDIS_URL);
    queue = createEmbedQueue({
      connection,
      prefix: uniquePrefix('drain_watcher'),
      retryPolicy: { attempts: 1, backoffMs: 10 },
    });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
  });

  it("asks the backlog with the poll's own queue stats, and waits for it to be empty", async () => {
    const seen: QueueStats[] = [];
    const backlogs = [3, 0, 0];
    const drained = await waitUntilDrained(queue, {
      pollMs: 10,
      backlog: async (stats) => {
        seen.push(stats);
        return backlogs.shift() ?? 0;
      },
    });
    expect(drained).toBe(true);
    expect(seen).toHaveLength(3);
    for (const stats of seen) expect(stats).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
  });
});
