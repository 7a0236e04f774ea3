import { loadConfig } from '@vectorizer/config';
import { connectForCommand, createEmbedQueue, jobIdFor, type EmbedQueue } from '@vectorizer/queue';
import { createPool, ProductsRepository, runMigrations } from '@vectorizer/store';
import { createTestSchema, freePort, TEST_REDIS_URL, uniquePrefix, type TestSchema } from '@vectorizer/testing';
import type { Redis } from 'ioredis';
import { Loader } from './loader';

const MODEL = 'test/loader-model';

describe('Loader: the TypeScript loader API (real Postgres and Redis)', () => {
  let db: TestSchema;
  let connection: Redis;
  let queue: EmbedQueue;
  const prefix = uniquePrefix('loader');
  // What a loader process has: the environment the workers read.
  const settings = () => loadConfig({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix });

  beforeAll(async () => {
    db = await createTestSchema('intake_loader', { connect: (url, schema) => createPool(url, { schema, max: 2 }) });
    await runMigrations(db.pool, { model: { id: MODEL, dimension: 4 } });
    // The test's own view of the queue, to see what the loader enqueued.
    connection = await connectForCommand(TEST_REDIS_URL);
    queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 1, backoffMs: 1_000 } });
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
    await db.drop();
  });

  it('upserts and enqueues valid records, reports bad ones by index, and enqueues nothing twice', async () => {
    const loader = await Loader.open(settings(), { model: MODEL, schema: db.schema });
    try {
      const records = [
        { id: 'shoe-1', image_url: 'https://cdn.example/shoe-1.jpg', title: 'Shoe', attributes: { color: 'red' } },
        { id: 'shoe-2', image_url: 'not a url' },
        { id: 'shoe-3', image_url: 'https://cdn.example/shoe-3.jpg', brand: 'Acme' },
      ];
      const first = await loader.load(records);
      expect(first).toEqual({
        accepted: 2,
        changed: 2,
        enqueued: 2,
        alreadyQueued: 0,
        deferred: 0,
        errors: [{ index: 1, error: 'product shoe-2: "image_url" is not a URL: "not a url"' }],
      });
      const products = new ProductsRepository(db.pool);
      expect(await products.get('shoe-1')).toMatchObject({ title: 'Shoe', attributes: { color: 'red' } });
      expect(await products.get('shoe-3')).toMatchObject({ attributes: { brand: 'Acme' } });
      const job = await queue.getJob(jobIdFor('shoe-1', 'https://cdn.example/shoe-1.jpg', MODEL));
      expect(job?.data).toMatchObject({ productId: 'shoe-1', model: MODEL });
      // The loader's queue carries the configured retry policy (JOB_ATTEMPTS default).
      expect(job?.opts.attempts).toBe(settings().JOB_ATTEMPTS);

      const again = await loader.load(records);
      expect(again).toMatchObject({ accepted: 2, changed: 0, enqueued: 0, alreadyQueued: 2 });
      expect(await queue.getWaitingCount()).toBe(2);

      expect(await loader.remove('shoe-3')).toBe(true);
      expect(await products.get('shoe-3')).toBeUndefined();
      expect(await queue.getJob(jobIdFor('shoe-3', 'https://cdn.example/shoe-3.jpg', MODEL))).toBeUndefined();
      expect(await loader.remove('shoe-3')).toBe(false);
    } finally {
      await loader.close();
    }
  });

  it('fails fast with REDIS_UNAVAILABLE when Redis cannot be reached', async () => {
    const redisUrl = `redis://127.0.0.1:${await freePort()}`;
    await expect(
      Loader.open(loadConfig({ DATABASE_URL: db.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix }), { model: MODEL }),
    ).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
  });
});
