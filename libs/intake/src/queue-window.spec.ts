import { UnrecoverableError, Worker } from 'bullmq';
import { createLogger } from '@vectorizer/logger';
import { createWorkerConnection, EMBED_QUEUE, type EmbedQueue } from '@vectorizer/queue';
import { EmbeddingsRepository, type ProductsRepository } from '@vectorizer/store';
import { eventually, TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { intake } from './intake';
import { startIntakeWatch } from './intake-watch';
import { QueueWindow } from './queue-window';
import { openIntakeTestbed, type IntakeTestbed } from './testing/intake-testbed';

const MODEL = 'test/model';
const logger = createLogger({ level: 'silent' });

const catalog = (count: number, prefix = 'p') =>
  Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${String(i).padStart(4, '0')}`,
    imageUrl: `https://img/${prefix}${i}.jpg`,
  }));

describe('the queue window (real Postgres and Redis)', () => {
  let bed: IntakeTestbed;
  let db: IntakeTestbed['db'];
  let connection: IntakeTestbed['connection'];
  let products: ProductsRepository;
  let queue: EmbedQueue;
  let prefix: string;

  beforeAll(async () => {
    bed = await openIntakeTestbed('queue_window', { model: MODEL, poolMax: 6 });
    ({ db, connection, products } = bed);
  });

  beforeEach(() => {
    prefix = uniquePrefix('window');
    queue = bed.embedQueue(prefix);
  });

  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await db.pool.query('TRUNCATE products CASCADE');
  });

  afterAll(() => bed.close());

  it('enqueues at most the window, leaves the rest pending in Postgres, and never overshoots with producers racing', async () => {
    const items = catalog(200);
    await products.upsertMany(items);
    const window = new QueueWindow({ queue, connection }, 30, products);
    const ids = items.map((item) => item.id);
    const deps = { products, window, model: MODEL };
    // Three producers at once (as file ingest, the listener and the API may be): together, the window.
    const results = await Promise.all([
      window.enqueue(items.slice(0, 100), MODEL),
      window.enqueue(items.slice(100), MODEL),
      window.enqueue(items, MODEL),
    ]);
    expect(results.reduce((sum, r) => sum + r.enqueued, 0)).toBe(30);
    expect(await window.pendingJobs()).toBe(30);
    // Full: nothing more is added, and Postgres is not even asked.
    expect(await intake({ ids }, deps)).toEqual({
      accepted: 200,
      changed: 0,
      enqueued: 0,
      alreadyQueued: 0,
      deferred: 200,
    });
    expect(await window.pendingJobs()).toBe(30);
  });

  it('tops the queue up as a worker drains it, oldest first, and every product is embedded exactly once', async () => {
    const windowSize = 25;
    // Three loads, one after another: the oldest must be served first.
    for (const batch of ['a', 'b', 'c']) {
      await products.upsertMany(catalog(100, batch));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const window = new QueueWindow({ queue, connection }, windowSize, products);
    const embeddings = new EmbeddingsRepository(db.pool);
    const processed = new Map<string, number>();
    const order: string[] = [];
    let mostPending = 0;
    const workerConnection = createWorkerConnection(TEST_REDIS_URL);
    const worker = new Worker(
      EMBED_QUEUE,
      async (job) => {
        const { productId, imageUrl } = job.data as { productId: string; imageUrl: string };
        mostPending = Math.max(mostPending, await window.pendingJobs());
        processed.set(productId, (processed.get(productId) ?? 0) + 1);
        order.push(productId);
        await embeddings.upsertMany([
          { productId, model: MODEL, imageUrl, imageSha256: 'a'.repeat(64), embedding: new Float32Array([1, 0, 0, 0]) },
        ]);
      },
      { connection: workerConnection, prefix, concurrency: 4 },
    );
    const watch = startIntakeWatch({
      databaseUrl: db.url,
      schema: db.schema,
      pool: db.pool,
      queue: { queue, connection },
      queueWindow: windowSize,
      model: MODEL,
      reconcileIntervalMs: 100,
      logger,
      retryMs: 100,
    });
    try {
      await eventually(async () => processed.size === 300, 'all 300 products embedded');
    } finally {
      await watch.stop();
      await worker.close();
      await workerConnection.quit();
    }
    expect([...processed.values()].filter((count) => count !== 1)).toEqual([]);
    expect(mostPending).toBeLessThanOrEqual(windowSize);
    // Oldest first: every 'a' product started before any 'c' product.
    const lastA = order.map((id) => id[0]).lastIndexOf('a');
    const firstC = order.map((id) => id[0]).indexOf('c');
    expect(lastA).toBeLessThan(firstC);
    expect(await embeddings.countMissing(MODEL)).toBe(0);
  });

  it('asks Postgres again before adding: a product embedded (or changed) since it was read gets no job', async () => {
    await products.upsertMany(catalog(5));
    const readEarlier: { id: string; imageUrl: string }[] = [];
    for await (const page of products.streamNeedingEmbedding(MODEL)) readEarlier.push(...page);
    expect(readEarlier).toEqual(catalog(5));
    // Meanwhile two jobs completed and were trimmed from Redis (only their vectors remain), and one
    // product got a new picture (its notification enqueues the new one).
    await new EmbeddingsRepository(db.pool).upsertMany(
      readEarlier.slice(0, 2).map(({ id, imageUrl }) => ({
        productId: id,
        model: MODEL,
        imageUrl,
        imageSha256: 'a'.repeat(64),
        embedding: new Float32Array([1, 0, 0, 0]),
      })),
    );
    await products.upsertMany([{ id: 'p0004', imageUrl: 'https://img/p4-new.jpg' }]);
    const window = new QueueWindow({ queue, connection }, 10, products);
    expect(await window.enqueue(readEarlier, MODEL)).toEqual({ enqueued: 2, alreadyQueued: 3, deferred: 0 });
    const queued = (await queue.getJobs(['waiting'])).map((job) => (job.data as { productId: string }).productId);
    expect(queued.sort()).toEqual(['p0002', 'p0003']);
  });

  it('leaves dead letters alone in the reconcile loop (and replaces them on a new intake)', async () => {
    await products.upsertMany(catalog(3));
    const window = new QueueWindow({ queue, connection }, 10, products);
    await window.enqueue(catalog(3), MODEL);
    const embeddings = new EmbeddingsRepository(db.pool);
    const workerConnection = createWorkerConnection(TEST_REDIS_URL);
    const worker = new Worker(
      EMBED_QUEUE,
      async (job) => {
        const { productId, imageUrl } = job.data as { productId: string; imageUrl: string };
        if (productId === 'p0000') throw new UnrecoverableError('broken image');
        await embeddings.upsertMany([
          { productId, model: MODEL, imageUrl, imageSha256: 'a'.repeat(64), embedding: new Float32Array([1, 0, 0, 0]) },
        ]);
      },
      { connection: workerConnection, prefix },
    );
    try {
      await eventually(async () => (await queue.getJobCountByTypes('failed', 'completed')) === 3, 'all three finished');
    } finally {
      await worker.close();
      await workerConnection.quit();
    }
    // Two products are embedded (their completed jobs kept or not, Postgres says so); the reconcile
    // loop leaves the dead letter alone, a new intake replaces it.
    expect(await window.enqueue(catalog(3), MODEL, { keepDeadLetters: true })).toEqual({
      enqueued: 0,
      alreadyQueued: 3,
      deferred: 0,
    });
    expect(await window.enqueue(catalog(3), MODEL)).toEqual({ enqueued: 1, alreadyQueued: 2, deferred: 0 });
  });
});
