import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { connectForCommand, createEmbedQueue, DeadLetterQueue, jobIdFor, type EmbedQueue } from '@vectorizer/queue';
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
  let deadLetters: DeadLetterQueue;
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
    await runMigrations(pool, { dimension: 4 });
    await pool.end();
    dir = await mkdtemp(join(tmpdir(), 'cli-queue-'));
    connection = await connectForCommand(TEST_REDIS_URL);
    queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 1, backoffMs: 10 } });
    deadLetters = new DeadLetterQueue({ connection, prefix }, queue);
  });

  afterAll(async () => {
    await deadLetters.purge();
    await deadLetters.close();
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
      missing: 2,
      queue: { waiting: 2, active: 0, delayed: 0, failed: 0, completed: 0 },
      deadLetter: 0,
    });
    expect((await vectorizer(['status', '--model', MODEL])).stdout).toMatch(/queue waiting\s+2/);

    // Jobs lost (e.g. Redis wiped): Postgres says what is missing, enqueue puts it back.
    await queue.obliterate({ force: true });
    const missing = await vectorizer(['enqueue', '--missing', '--model', MODEL, '--json']);
    expect(JSON.parse(missing.stdout)).toEqual({ model: MODEL, selected: 2, added: 2, skipped: 0 });
    const again = await vectorizer(['enqueue', '--missing', '--model', MODEL, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ model: MODEL, selected: 2, added: 0, skipped: 2 });
    const ids = await vectorizer(['enqueue', '--ids', 'p2,nope', '--model', 'other/model', '--json']);
    expect(JSON.parse(ids.stdout)).toEqual({ model: 'other/model', selected: 1, added: 1, skipped: 0, notFound: 1 });
    const none = await vectorizer(['enqueue', '--model', MODEL]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('ENQUEUE_SELECTION_MISSING');
  });

  it('lists, retries and purges dead letters', async () => {
    const payload = {
      productId: 'p1',
      imageUrl: 'https://x.example/1.jpg',
      model: MODEL,
      enqueuedAt: new Date().toISOString(),
    };
    const jobId = jobIdFor(payload.productId, payload.imageUrl, payload.model);
    await queue.obliterate({ force: true });
    await deadLetters.add({
      jobId,
      payload,
      code: 'FETCH_HTTP_404',
      reason: 'HTTP 404 Not Found',
      attemptsMade: 11,
      failedAt: new Date().toISOString(),
      firstEnqueuedAt: payload.enqueuedAt,
    });

    const list = await vectorizer(['dlq', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        jobId,
        productId: 'p1',
        imageUrl: payload.imageUrl,
        code: 'FETCH_HTTP_404',
        reason: 'HTTP 404 Not Found',
        attemptsMade: 11,
        failedAt: expect.any(String),
      },
    ]);

    const unknown = await vectorizer(['dlq', 'retry', 'no-such-job']);
    expect(unknown.code).toBe(1);
    const retry = await vectorizer(['dlq', 'retry', '--all']);
    expect(retry.stdout).toContain('retried 1 dead job(s)');
    expect(await queue.getJob(jobId)).toBeDefined();
    expect(await deadLetters.count()).toBe(0);

    await deadLetters.add({
      jobId: 'x',
      payload,
      code: 'C',
      reason: 'r',
      attemptsMade: 1,
      failedAt: new Date().toISOString(),
      firstEnqueuedAt: payload.enqueuedAt,
    });
    expect((await vectorizer(['dlq', 'purge'])).stdout).toContain('purged 1 dead job(s)');
    expect((await vectorizer(['dlq', 'list'])).stdout).toContain('empty');
  });

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
