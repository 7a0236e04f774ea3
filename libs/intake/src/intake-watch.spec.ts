import { createLogger } from '@vectorizer/logger';
import { jobIdFor, type EmbedQueue } from '@vectorizer/queue';
import { eventually, uniquePrefix } from '@vectorizer/testing';
import { startIntakeWatch, type IntakeWatch } from './intake-watch';
import { openIntakeTestbed, type IntakeTestbed } from './testing/intake-testbed';

const MODEL = 'test/model';
const logger = createLogger({ level: 'silent' });

describe('intake watch: Postgres listener, leader election and reconcile (real Postgres and Redis)', () => {
  let bed: IntakeTestbed;
  let db: IntakeTestbed['db'];
  let connection: IntakeTestbed['connection'];
  let queue: EmbedQueue;
  const watches: IntakeWatch[] = [];

  const watch = (overrides: { reconcileIntervalMs?: number } = {}): IntakeWatch => {
    const started = startIntakeWatch({
      databaseUrl: db.url,
      schema: db.schema,
      pool: db.pool,
      queue: { queue, connection },
      queueWindow: 0,
      model: MODEL,
      // Long enough that only notifications (and becoming leader) can explain an enqueue.
      reconcileIntervalMs: overrides.reconcileIntervalMs ?? 600_000,
      logger,
      retryMs: 100,
    });
    watches.push(started);
    return started;
  };

  const hasJob = async (id: string, imageUrl: string) => (await queue.getJob(jobIdFor(id, imageUrl, MODEL))) != null;

  beforeAll(async () => {
    bed = await openIntakeTestbed('intake_watch', { model: MODEL, poolMax: 4 });
    ({ db, connection } = bed);
    queue = bed.embedQueue(uniquePrefix('watch'));
  });

  afterEach(async () => {
    await Promise.all(watches.splice(0).map((w) => w.stop()));
    await queue.obliterate({ force: true });
    await db.pool.query('TRUNCATE products CASCADE');
  });

  afterAll(async () => {
    await queue.close();
    await bed.close();
  });

  it('enqueues a product inserted by plain SQL, and again when its image_url changes (not when its title does)', async () => {
    const w = watch();
    await eventually(() => w.leading, 'the watch leads');
    await db.pool.query("INSERT INTO products (id, image_url) VALUES ('sql-1', 'https://img/1.jpg')");
    await eventually(() => hasJob('sql-1', 'https://img/1.jpg'), 'a job for the inserted product');

    await db.pool.query("UPDATE products SET title = 'renamed' WHERE id = 'sql-1'");
    await db.pool.query("UPDATE products SET image_url = 'https://img/1b.jpg' WHERE id = 'sql-1'");
    await eventually(() => hasJob('sql-1', 'https://img/1b.jpg'), 'a job for the new image');
    // Two jobs: the insert's and the new image's; renaming added none.
    expect(await queue.getJobCountByTypes('waiting')).toBe(2);
  });

  it('enqueues a bulk statement (one "reconcile" notification) and a transaction only after COMMIT', async () => {
    const w = watch();
    await eventually(() => w.leading, 'the watch leads');
    await db.pool.query(
      "INSERT INTO products (id, image_url) SELECT 'bulk-' || g, 'https://img/' || g FROM generate_series(1, 250) AS g",
    );
    await eventually(async () => (await queue.getJobCountByTypes('waiting')) === 250, 'all 250 bulk products enqueued');

    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("INSERT INTO products (id, image_url) VALUES ('tx-1', 'https://img/tx')");
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await hasJob('tx-1', 'https://img/tx')).toBe(false);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await eventually(() => hasJob('tx-1', 'https://img/tx'), 'the committed product enqueued');
  });

  it('elects one leader across two watches, and the other takes over when the leader dies', async () => {
    const first = watch();
    const second = watch();
    await eventually(() => first.leading || second.leading, 'a leader');
    // Both keep polling for the lock; give the follower several chances to (wrongly) win it too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([first.leading, second.leading].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = first.leading ? [first, second] : [second, first];

    // The leader's connection dies as in a crash (the server ends its session).
    await db.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vectorizer-listener' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1)",
      [0x6c697374],
    );
    await eventually(() => follower.leading, 'the follower takes over');
    await db.pool.query("INSERT INTO products (id, image_url) VALUES ('after-failover', 'https://img/f')");
    await eventually(() => hasJob('after-failover', 'https://img/f'), 'enqueued by the new leader');
    // The old leader reconnects as a follower: still one leader.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([leader.leading, follower.leading]).toEqual([false, true]);
  });

  it('reconciles what was inserted while no listener ran', async () => {
    await db.pool.query(
      "INSERT INTO products (id, image_url) SELECT 'missed-' || g, 'https://img/m' || g FROM generate_series(1, 30) AS g",
    );
    await db.pool.query("INSERT INTO products (id, image_url) VALUES ('missed-one', 'https://img/one')");
    const w = watch();
    await eventually(async () => (await queue.getJobCountByTypes('waiting')) === 31, 'all missed products enqueued');
    expect(w.leading).toBe(true);
  });
});
