import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { meaningOf } from '@vectorizer/errors';
import {
  connectForCommand,
  createEmbedQueue,
  createWorkerConnection,
  DeadLetters,
  embedBackoffStrategy,
  jobIdFor,
  type EmbedQueue,
} from '@vectorizer/queue';
import { UnrecoverableError, Worker, type Processor } from 'bullmq';
import { createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase, freePort, TEST_REDIS_URL, uniquePrefix, type TestDatabase } from '@vectorizer/testing';

const BIN = join(__dirname, '../../../../bin/vectorizer.js');
const MODEL = 'test/model';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('vectorizer ingest / enqueue / status / dlq (real services)', () => {
  let db: TestDatabase;
  let dir: string;
  let connection: Redis;
  let queue: EmbedQueue;
  let deadLetters: DeadLetters;
  const prefix = uniquePrefix('cli-queue');

  const vectorizer = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        {
          env: {
            ...process.env,
            DATABASE_URL: db.url,
            REDIS_URL: TEST_REDIS_URL,
            QUEUE_PREFIX: prefix,
            LOG_FORMAT: 'json',
            LOG_LEVEL: 'warn',
            ...env,
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    db = await createTestDatabase('cli_queue');
    const pool = createPool(db.url, { max: 1 });
    await runMigrations(pool, {});
    await pool.end();
    dir = await mkdtemp(join(tmpdir(), 'cli-queue-'));
    connection = await connectForCommand(TEST_REDIS_URL);
    queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 1, backoffMs: 10 } });
    deadLetters = new DeadLetters(queue);
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests a catalog, reports status, and backfills with enqueue', async () => {
    const file = join(dir, 'catalog.jsonl');
    await writeFile(
      file,
      [
        '{"id":"p1","image_url":"https://x.example/1.jpg"}',
        'oops',
        '{"id":"p2","image_url":"https://x.example/2.jpg","color":"red"}',
      ].join('\n'),
    );
    const ingest = await vectorizer(['ingest', file, '--model', MODEL, '--json']);
    expect(ingest.code).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ model: MODEL, products: 2, enqueued: 2, malformed: 1 });
    expect(ingest.stderr).toContain('line 2 skipped: invalid JSON');
    expect((await vectorizer(['ingest', file, '--model', MODEL, '--strict'])).code).toBe(2);

    const status = await vectorizer(['status', '--json', '--model', MODEL]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      model: MODEL,
      products: 2,
      embedded: 0,
      reused: 0,
      missing: 2,
      pendingInPostgres: 0,
      queue: { waiting: 2, active: 0, delayed: 0, failed: 0, completed: 0 },
      deadLetter: 0,
    });
    expect((await vectorizer(['status', '--model', MODEL])).stdout).toMatch(/queue waiting \(in Redis\)\s+2/);

    // Jobs lost (e.g. Redis wiped): Postgres says what is missing, enqueue puts it back.
    await queue.obliterate({ force: true });
    const lost = await vectorizer(['status', '--json', '--model', MODEL]);
    expect(JSON.parse(lost.stdout)).toMatchObject({ missing: 2, pendingInPostgres: 2, queue: { waiting: 0 } });
    const missing = await vectorizer(['enqueue', '--missing', '--model', MODEL, '--json']);
    expect(JSON.parse(missing.stdout)).toEqual({ model: MODEL, selected: 2, added: 2, skipped: 0, deferred: 0 });
    const again = await vectorizer(['enqueue', '--missing', '--model', MODEL, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ model: MODEL, selected: 2, added: 0, skipped: 2, deferred: 0 });
    const ids = await vectorizer(['enqueue', '--ids', 'p2,nope', '--model', 'other/model', '--json']);
    expect(JSON.parse(ids.stdout)).toEqual({
      model: 'other/model',
      selected: 1,
      added: 1,
      skipped: 0,
      deferred: 0,
      notFound: 1,
    });
    const none = await vectorizer(['enqueue', '--model', MODEL]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('ENQUEUE_SELECTION_MISSING');
    // Ten CLI runs: on a busy machine each takes seconds to start.
  }, 180_000);

  it('lists dead letters with code and fix, retries them with a fresh budget and purges', async () => {
    await queue.obliterate({ force: true });
    const file = join(dir, 'dead.jsonl');
    await writeFile(
      file,
      ['{"id":"d1","image_url":"https://x.example/d1.jpg"}', '{"id":"d2","image_url":"https://x.example/d2.jpg"}'].join(
        '\n',
      ),
    );
    expect((await vectorizer(['ingest', file, '--model', MODEL])).code).toBe(0);
    await runWorker(queue, prefix, async () => {
      throw new UnrecoverableError('FETCH_NOT_FOUND: HTTP 404 Not Found');
    });
    const d1 = jobIdFor('d1', 'https://x.example/d1.jpg', MODEL);

    const list = await vectorizer(['dlq', 'list', '--json']);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.jobId === d1)).toEqual({
      jobId: d1,
      productId: 'd1',
      imageUrl: 'https://x.example/d1.jpg',
      code: 'FETCH_NOT_FOUND',
      reason: 'HTTP 404 Not Found',
      hint: meaningOf('FETCH_NOT_FOUND').hint,
      attemptsMade: 1,
      createdAt: expect.any(String),
      failedAt: expect.any(String),
    });
    const text = await vectorizer(['dlq', 'list']);
    expect(text.stdout).toContain('FETCH_NOT_FOUND  product d1');
    expect(text.stdout).toContain(`fix: ${meaningOf('FETCH_NOT_FOUND').hint}`);

    // status and dlq agree: the dead letters are the failed jobs.
    const status = JSON.parse((await vectorizer(['status', '--json', '--model', MODEL])).stdout);
    expect(status.deadLetter).toBe(2);
    expect(status.queue.failed).toBe(2);

    const unknown = await vectorizer(['dlq', 'retry', 'no-such-job']);
    expect(unknown.code).toBe(1);
    expect((await vectorizer(['dlq', 'retry', d1])).stdout).toContain('retried 1 dead job(s)');
    const retried = await queue.getJob(d1);
    expect(await retried?.getState()).toBe('waiting');
    expect(retried?.attemptsMade).toBe(0);
    expect(await deadLetters.count()).toBe(1);

    expect((await vectorizer(['dlq', 'purge'])).stdout).toContain('purged 1 dead job(s)');
    expect((await vectorizer(['dlq', 'list'])).stdout).toContain('no dead letters');
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);
  });

  it('re-enqueues a product whose embedding was lost although its completed job is kept', async () => {
    await queue.obliterate({ force: true });
    const file = join(dir, 'kept.jsonl');
    await writeFile(file, '{"id":"k1","image_url":"https://x.example/k1.jpg"}\n');
    expect((await vectorizer(['ingest', file, '--model', MODEL])).code).toBe(0);
    const runs = new Map<string, number>();
    const complete = async (job: { data: { productId: string } }) => {
      runs.set(job.data.productId, (runs.get(job.data.productId) ?? 0) + 1);
    };
    // Completes without writing a row: what Postgres looks like after the row was deleted.
    await runWorker(queue, prefix, complete);
    expect(runs.get('k1')).toBe(1);
    const k1 = jobIdFor('k1', 'https://x.example/k1.jpg', MODEL);
    expect(await queue.getJobState(k1)).toBe('completed');

    const again = await vectorizer(['enqueue', '--missing', '--model', MODEL, '--json']);
    expect(again.code).toBe(0);
    // Every product without a row is added again, k1 included although its completed job was kept.
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: 0 });
    expect(await queue.getJobState(k1)).toBe('waiting');
    await runWorker(queue, prefix, complete);
    expect(runs.get('k1')).toBe(2);
  });

  it('backfills within the queue window: --missing leaves the rest in Postgres, --all waits for room', async () => {
    await queue.obliterate({ force: true });
    const file = join(dir, 'windowed.jsonl');
    const ids = ['w1', 'w2', 'w3', 'w4', 'w5'];
    await writeFile(file, ids.map((id) => JSON.stringify({ id, image_url: `https://x.example/${id}.jpg` })).join('\n'));
    const windowed = { QUEUE_WINDOW: '2' };
    const pool = createPool(db.url, { max: 1 });
    await pool.query('TRUNCATE products CASCADE');
    await pool.end();
    const ingest = await vectorizer(['ingest', file, '--model', 'windowed/model', '--json'], windowed);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ products: 5, enqueued: 2 });
    // Redis lost its jobs: the backfill puts two back and leaves three pending in Postgres.
    await queue.obliterate({ force: true });
    const missing = await vectorizer(['enqueue', '--missing', '--model', 'windowed/model', '--json'], windowed);
    expect(JSON.parse(missing.stdout)).toEqual({
      model: 'windowed/model',
      selected: 5,
      added: 2,
      skipped: 0,
      deferred: 3,
    });
    expect(await queue.getJobCountByTypes('waiting')).toBe(2);
    await runWorker(queue, prefix, async () => undefined);

    // --all re-embeds everything; Postgres cannot hold an up-to-date product as pending, so the
    // command feeds the window as a worker drains it, never holding more than two jobs.
    const seen: string[] = [];
    let mostPending = 0;
    const workerConnection = createWorkerConnection(TEST_REDIS_URL);
    const worker = new Worker(
      queue.name,
      async (job) => {
        mostPending = Math.max(mostPending, await queue.getJobCountByTypes('waiting', 'active', 'delayed'));
        seen.push((job.data as { productId: string }).productId);
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
      { connection: workerConnection, prefix },
    );
    try {
      const all = await vectorizer(['enqueue', '--all', '--model', 'windowed/model', '--json'], windowed);
      expect(all.code).toBe(0);
      expect(JSON.parse(all.stdout)).toEqual({
        model: 'windowed/model',
        selected: 5,
        added: 5,
        skipped: 0,
        deferred: 0,
      });
      await runWorker(queue, prefix, async () => undefined);
    } finally {
      await worker.close();
      await workerConnection.quit();
    }
    expect(seen.sort()).toEqual(ids);
    expect(mostPending).toBeLessThanOrEqual(2);
  }, 120_000);

  it('fails fast, naming the service, URL and fix, when Redis or Postgres is unreachable', async () => {
    const redisDown = `redis://127.0.0.1:${await freePort()}`;
    const file = join(dir, 'one.jsonl');
    await writeFile(file, '{"id":"p1","image_url":"https://x.example/1.jpg"}\n');
    for (const args of [
      ['ingest', file, '--model', MODEL],
      ['status', '--json', '--model', MODEL],
      ['dlq', 'list'],
      ['enqueue', '--missing', '--model', MODEL],
    ]) {
      const run = await vectorizer(args, { REDIS_URL: redisDown });
      expect(run.code).not.toBe(0);
      const fatal = JSON.parse(run.stderr.trim().split('\n').pop() as string);
      expect(fatal).toMatchObject({ level: 'fatal', code: 'REDIS_UNAVAILABLE' });
      expect(fatal.msg).toContain(redisDown.replace('redis://', ''));
      expect(fatal.hint).toContain('REDIS_URL');
    }
    const pgDown = `postgres://postgres@127.0.0.1:${await freePort()}/test`;
    const run = await vectorizer(['status', '--json', '--model', MODEL], { DATABASE_URL: pgDown });
    expect(run.code).not.toBe(0);
    const fatal = JSON.parse(run.stderr.trim().split('\n').pop() as string);
    expect(fatal).toMatchObject({ level: 'fatal', code: 'POSTGRES_UNAVAILABLE' });
    expect(fatal.hint).toContain('DATABASE_URL');
  });
});

/** A real BullMQ worker on the queue until nothing is waiting, active or delayed. */
async function runWorker(queue: EmbedQueue, prefix: string, handler: Processor): Promise<void> {
  const connection = createWorkerConnection(TEST_REDIS_URL);
  const worker = new Worker(queue.name, handler, {
    connection,
    prefix,
    settings: { backoffStrategy: embedBackoffStrategy },
  });
  const deadline = Date.now() + 20_000;
  try {
    while ((await queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized')) > 0) {
      if (Date.now() > deadline) throw new Error('the worker did not drain the queue');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await worker.close();
    await connection.quit();
  }
}
