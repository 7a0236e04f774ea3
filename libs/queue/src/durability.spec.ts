import type { Redis } from 'ioredis';
import { connectForCommand } from './connection';
import { createEmbedQueue } from './embed-queue';
import { enqueueProducts } from './producer';
import { getQueueStats } from './queue-stats';
import { jobIdFor } from './job-payload';
import { startRedisServer, uniquePrefix, type RedisServerHandle } from '@vectorizer/testing';

describe('enqueued jobs survive a Redis crash (AOF, appendfsync always)', () => {
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedisServer({ appendonly: true });
  });
  afterAll(() => server.stop());

  it('keeps every acknowledged job across kill -9 and restart', async () => {
    const prefix = uniquePrefix('durability');
    const products = Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, imageUrl: `https://cdn.example/${i}.jpg` }));

    let connection: Redis = await connectForCommand(server.url);
    let queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 3, backoffMs: 100 } });
    expect(await enqueueProducts({ queue, connection }, products, 'm')).toEqual({ enqueued: 50, alreadyQueued: 0 });
    await queue.close();
    connection.disconnect();

    await server.kill9();
    await server.restart();

    connection = await connectForCommand(server.url);
    queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 3, backoffMs: 100 } });
    try {
      expect((await getQueueStats(queue)).waiting).toBe(50);
      expect((await queue.getJob(jobIdFor('p7', 'https://cdn.example/7.jpg', 'm')))?.data).toMatchObject({
        productId: 'p7',
      });
      // The ids are still known after recovery: enqueueing again adds nothing.
      expect(await enqueueProducts({ queue, connection }, products, 'm')).toEqual({ enqueued: 0, alreadyQueued: 50 });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    }
  });
});
