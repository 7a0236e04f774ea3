import { EmbeddingsRepository, ProductsRepository, createPool, probePostgres, runMigrations } from '@vectorizer/store';
import { createTestDatabase, startTcpProxy, type TcpProxy, type TestDatabase } from '@vectorizer/testing';
import pg from 'pg';
import { eventually, startPipelineFixture, type PipelineFixture } from './testing/pipeline-fixture';

/**
 * Postgres outages of every shape, each against its own database reached only by the worker under
 * test: the connection cut, the database refusing connections (SQLSTATE 55000, the case an
 * allow-list of codes missed) and a server that accepts TCP and never answers. In each, with a
 * single attempt per job (any spent attempt would dead-letter), the worker must pause, spend no
 * attempt, dead-letter nothing, not exit, and embed every product exactly once when it is back.
 */
describe('EmbedWorker across Postgres outages of every shape', () => {
  let fx: PipelineFixture;
  let db: TestDatabase;
  let proxy: TcpProxy;
  let admin: pg.Client;
  let round = 0;

  beforeAll(async () => {
    fx = await startPipelineFixture('pipeline_pg_outages', { attempts: 1, backoffMs: 20 });
    db = await createTestDatabase('pipeline_pg_outages');
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    const setup = createPool(db.url, { max: 1 });
    await runMigrations(setup, { model: fx.model });
    await setup.end();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await fx?.close();
    await proxy?.close();
    await db?.drop();
  });

  const shapes: { name: string; start: () => Promise<void>; end: () => Promise<void> }[] = [
    { name: 'connection cut', start: () => proxy.down(), end: () => proxy.up() },
    {
      name: 'database refusing connections (55000)',
      start: async () => {
        await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
      },
      end: async () => {
        await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
      },
    },
    { name: 'server accepting TCP and never answering', start: () => proxy.stall(), end: () => proxy.up() },
  ];

  it.each(shapes.map((shape) => [shape.name, shape] as const))('%s', async (_name, shape) => {
    round += 1;
    const url = `postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`;
    // Short bounds, so the silent server is noticed within the test's time.
    const pool = createPool(url, { max: 2, connectTimeoutMs: 1_000, statementTimeoutMs: 2_000 });
    pool.on('error', () => undefined);
    const products = new ProductsRepository(pool);
    const items = Array.from({ length: 12 }, (_, i) => ({
      id: `r${round}-${i}`,
      imageUrl: fx.images.imageUrl(round * 100 + i),
    }));
    await products.upsertMany(items);
    const postponed = async () =>
      (await fx.metrics.jobsPostponed.get()).values.reduce((sum, value) => sum + value.value, 0);
    const postponedBefore = await postponed();
    const worker = fx.worker({
      embeddings: new EmbeddingsRepository(pool),
      probes: {
        postgres: () => probePostgres(url, { timeoutMs: 1_000 }),
        redis: async () => void (await fx.connection.ping()),
      },
    });
    await shape.start();
    await fx.ingest(items); // the fixture's products table is not the worker's: only jobs matter here
    worker.start();

    await eventually(async () => worker.state === 'paused', 'worker paused');
    await eventually(async () => (await postponed()) > postponedBefore, 'jobs postponed');
    const inferenceAtPause = fx.embedder.calls.length;
    // Let the outage last a few probe rounds.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // This round's jobs (earlier rounds' completed jobs are kept by the retention policy).
    const jobs = (await fx.queue.getJobs(['waiting', 'delayed', 'active', 'failed', 'completed'])).filter((job) =>
      job.data.productId.startsWith(`r${round}-`),
    );
    expect(jobs).toHaveLength(12);
    const spent = jobs.reduce((sum, job) => sum + job.attemptsMade, 0);
    console.log(`outage "${shape.name}": ${spent} attempts spent, ${(await postponed()) - postponedBefore} postponed`);
    expect(spent).toBe(0);
    expect(await fx.deadLetters.count()).toBe(0);
    expect(worker.state).toBe('paused');
    // Paused means no inference whose vectors could not be written (at most the batches in flight).
    expect(fx.embedder.calls.length - inferenceAtPause).toBeLessThanOrEqual(2);

    await shape.end();
    const count = async () => {
      const { rows } = await pool.query<{ count: string; products: string }>(
        `SELECT count(*) AS count, count(DISTINCT product_id) AS products FROM product_embeddings
          WHERE product_id LIKE $1`,
        [`r${round}-%`],
      );
      return rows[0] as { count: string; products: string };
    };
    await eventually(async () => Number((await count().catch(() => ({ count: '0' }))).count) === 12, 'all embedded');
    expect(await count()).toEqual({ count: '12', products: '12' });
    await eventually(async () => worker.state === 'running', 'worker resumed');
    expect(await fx.deadLetters.count()).toBe(0);
    await worker.close(10_000);
    await pool.end();
  });
});
