import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { meaningOf } from '@vectorizer/errors';
import { resolveModel } from '@vectorizer/embedder';
import {
  connectForCommand,
  createEmbedQueue,
  createWorkerConnection,
  embedBackoffStrategy,
  jobIdFor,
  type EmbedQueue,
} from '@vectorizer/queue';
import { createPool, ProductsRepository } from '@vectorizer/store';
import { startServe, TEST_REDIS_URL, uniquePrefix, type ServeProcess, type TestDatabase } from '@vectorizer/testing';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createEmbeddedCatalog, unitVector } from '../test-support/embedded-catalog';
import { runCli, TINY_DEV_MODEL_DIR } from '../test-support/run-cli';

const image = (id: string): string => `https://img.test/${id}.jpg`;
const moved = (id: string): string => `https://img.test/${id}-v2.jpg`;

/**
 * Every verdict of `vectorizer explain`, each set up as real queue and database state (BullMQ's own
 * manual job API moves each job where a worker would have left it), read by the CLI as a child
 * process and by a real `vectorizer serve` over HTTP: the two must answer the same JSON.
 */
describe('vectorizer explain / GET /api/products/:id/status (real services)', () => {
  const prefix = uniquePrefix('cli-explain');
  let db: TestDatabase;
  let model: string;
  let connection: Redis;
  let workerConnection: Redis;
  let queue: EmbedQueue;
  let worker: Worker;
  let api: ServeProcess;
  let env: Record<string, string>;

  const payload = (id: string, imageUrl = image(id)) => ({
    productId: id,
    imageUrl,
    model,
    enqueuedAt: new Date().toISOString(),
  });
  const add = (id: string, imageUrl = image(id), attempts = 3) =>
    queue.add('embed', payload(id, imageUrl), { jobId: jobIdFor(id, imageUrl, model), attempts });
  /** Adds the job and takes it as a worker would (the queue holds no other waiting job then). */
  const take = async (id: string, imageUrl = image(id), attempts = 3): Promise<{ job: Job; token: string }> => {
    await add(id, imageUrl, attempts);
    const token = randomUUID();
    const job = (await worker.getNextJob(token)) as Job | undefined;
    if (!job || job.id !== jobIdFor(id, imageUrl, model)) throw new Error(`expected to take the job of ${id}`);
    return { job, token };
  };

  /** The CLI's JSON, checked against the API's answer for the same product. */
  const explain = async (id: string): Promise<Record<string, unknown>> => {
    const cli = await runCli(['explain', id, '--json'], env);
    expect({ code: cli.code, stderr: cli.stderr.replace(/^.*dev model.*\n/m, '') }).toEqual({ code: 0, stderr: '' });
    const fromCli = JSON.parse(cli.stdout) as Record<string, unknown>;
    const response = await fetch(`${api.url}/api/products/${encodeURIComponent(id)}/status`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(fromCli);
    return fromCli;
  };

  beforeAll(async () => {
    db = await createEmbeddedCatalog('cli_explain', (dimension) =>
      ['fresh', 'moved', 'stale'].map((id, i) => ({ id, title: id, embedding: unitVector(i + 1, dimension) })),
    );
    model = (await resolveModel({ modelDir: TINY_DEV_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' })).id;
    const pool = createPool(db.url, { max: 1 });
    try {
      const products = new ProductsRepository(pool);
      await products.upsertMany(
        ['queued', 'active', 'retrying', 'dead', 'never'].map((id) => ({ id, imageUrl: image(id), title: id })),
      );
      // Their image changed after they were embedded: the stored vectors are stale now.
      await products.upsertMany(['moved', 'stale'].map((id) => ({ id, imageUrl: moved(id), title: id })));
    } finally {
      await pool.end();
    }
    connection = await connectForCommand(TEST_REDIS_URL);
    workerConnection = createWorkerConnection(TEST_REDIS_URL);
    queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 3, backoffMs: 600_000 } });
    worker = new Worker(queue.name, null, {
      connection: workerConnection,
      prefix,
      autorun: false,
      settings: { backoffStrategy: embedBackoffStrategy },
    });

    const active = await take('active');
    void active; // stays active: its lock is never released while the test runs
    const retrying = await take('retrying');
    await retrying.job.moveToFailed(new Error('FETCH_TIMEOUT: no answer within 15000 ms'), retrying.token);
    const dead = await take('dead', image('dead'), 1);
    await dead.job.moveToFailed(new UnrecoverableError('FETCH_NOT_FOUND: HTTP 404 Not Found'), dead.token);
    // The job of the previous image ran while the image changed: completed without a write.
    const superseded = await take('moved', image('moved'));
    await superseded.job.moveToCompleted('superseded', superseded.token, false);
    await add('queued');

    env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      MODEL_DIR: TINY_DEV_MODEL_DIR,
      LOG_LEVEL: 'warn',
    };
    api = await startServe(env);
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await worker?.close(true);
    await queue?.obliterate({ force: true });
    await queue?.close();
    await connection?.quit();
    await workerConnection?.quit();
    await db?.drop();
  });

  it('up-to-date: the vector of the current image, with when and from what', async () => {
    const out = await explain('fresh');
    expect(out).toMatchObject({
      productId: 'fresh',
      model,
      verdict: 'up-to-date',
      embedding: { imageUrl: image('fresh'), reused: false },
    });
    expect(out).not.toHaveProperty('job');
    expect(out['message']).toMatch(/^up to date: embedded at \d{4}-/);
    const human = await runCli(['explain', 'fresh'], env);
    expect(human.stdout).toContain(`product fresh (model ${model}): up to date`);
  }, 60_000);

  it('queued, processing and retrying: the job, its attempts and when it runs next', async () => {
    expect(await explain('queued')).toMatchObject({
      verdict: 'queued',
      job: { id: jobIdFor('queued', image('queued'), model), state: 'waiting', attemptsMade: 0 },
    });
    const active = await explain('active');
    expect(active).toMatchObject({ verdict: 'processing', job: { state: 'active', attemptsMade: 0 } });
    expect(active['message']).toContain('attempt 1 of 3');

    const retrying = await explain('retrying');
    expect(retrying).toMatchObject({
      verdict: 'retrying',
      job: { state: 'delayed', attemptsMade: 1, code: 'FETCH_TIMEOUT', reason: 'no answer within 15000 ms' },
    });
    const next = Date.parse((retrying['job'] as { nextRunAt: string }).nextRunAt);
    // The backoff is 600 s (BullMQ jitters exponential backoff downwards, never up).
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(retrying['message']).toContain('attempt 1 of 3 failed with FETCH_TIMEOUT');
  }, 90_000);

  it('dead-lettered: the code, the fix and the retry command', async () => {
    const jobId = jobIdFor('dead', image('dead'), model);
    const out = await explain('dead');
    expect(out).toMatchObject({
      verdict: 'dead-lettered',
      job: {
        id: jobId,
        state: 'failed',
        attemptsMade: 1,
        code: 'FETCH_NOT_FOUND',
        hint: meaningOf('FETCH_NOT_FOUND').hint,
      },
    });
    expect(out['message']).toBe(
      `dead-lettered after 1 attempt: FETCH_NOT_FOUND: HTTP 404 Not Found — fix: ${meaningOf('FETCH_NOT_FOUND').hint} — retry with \`vectorizer dlq retry ${jobId}\`.`,
    );
  }, 60_000);

  it('superseded and pending: what the stale vector and the missing job say', async () => {
    const superseded = await explain('moved');
    expect(superseded).toMatchObject({
      verdict: 'superseded',
      job: { id: jobIdFor('moved', image('moved'), model), state: 'completed' },
      embedding: { imageUrl: image('moved') },
    });
    expect(superseded['message']).toContain(`vectorizer enqueue --ids moved --model ${model}`);

    const stale = await explain('stale');
    expect(stale).toMatchObject({ verdict: 'pending', embedding: { imageUrl: image('stale') } });
    expect(stale['message']).toContain('its stored vector is of an older image');
    const never = await explain('never');
    expect(never).toMatchObject({ verdict: 'pending' });
    expect(never).not.toHaveProperty('embedding');
    expect(never['message']).toContain('it has no vector yet');
  }, 90_000);

  it('an unknown product: exit 1 with PRODUCT_NOT_FOUND, HTTP 404', async () => {
    const cli = await runCli(['explain', 'nope', '--json'], env);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    const fatal = JSON.parse(cli.stderr.trim().split('\n').pop() as string) as Record<string, unknown>;
    expect(fatal).toMatchObject({ level: 'fatal', code: 'PRODUCT_NOT_FOUND' });
    const response = await fetch(`${api.url}/api/products/nope/status`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'PRODUCT_NOT_FOUND' } });
  }, 60_000);
});
