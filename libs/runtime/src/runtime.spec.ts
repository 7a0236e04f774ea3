import { PassThrough } from 'node:stream';
import { loadConfig } from '@vectorizer/config';
import { ensureDevModel } from '@vectorizer/dev-model';
import { createLogger } from '@vectorizer/logger';
import { connectForCommand } from '@vectorizer/queue';
import { DEV_TINY_MODEL_DIR, TEST_DATABASE_URL, TEST_REDIS_URL, uniquePrefix } from '@vectorizer/testing';
import { Runtime } from './runtime';

function runtimeFor(env: Record<string, string>) {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, ...env });
  return { runtime: new Runtime(config, createLogger({ destination: stream, format: 'json' })), lines };
}

describe('Runtime (the composition root)', () => {
  beforeAll(() => ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' }));

  it('resolves the configured model once and says the dev-model notice once', async () => {
    const { runtime, lines } = runtimeFor({ MODEL_DIR: DEV_TINY_MODEL_DIR });
    const [first, second] = await Promise.all([runtime.model(), runtime.model()]);
    expect(first).toBe(second);
    expect(await runtime.modelId()).toBe(first.id);
    expect(await runtime.modelId('other/model')).toBe('other/model');
    const notices = lines.map((line) => JSON.parse(line).msg as string).filter((msg) => msg.includes('dev model'));
    expect(notices).toEqual([
      `dev model ${first.id} (random weights): results mean nothing; set MODEL_ID or MODEL_DIR`,
    ]);
  });

  it('refuses the dev model in production (one rule for every process) unless only inspecting it', async () => {
    const { runtime, lines } = runtimeFor({ MODEL_DIR: DEV_TINY_MODEL_DIR, NODE_ENV: 'production' });
    await expect(runtime.model()).rejects.toMatchObject({ code: 'DEV_MODEL_IN_PRODUCTION' });
    expect(lines).toEqual([]);
    await expect(runtime.model(undefined, { inspectOnly: true })).resolves.toMatchObject({ isDevModel: true });
    const allowed = runtimeFor({ MODEL_DIR: DEV_TINY_MODEL_DIR, NODE_ENV: 'production', ALLOW_DEV_MODEL: 'true' });
    await expect(allowed.runtime.model()).resolves.toMatchObject({ isDevModel: true });
  });

  it('gives pools the configured statement timeout, or none when asked for 0 (schema work)', async () => {
    const { runtime } = runtimeFor({ DATABASE_URL: TEST_DATABASE_URL, DATABASE_STATEMENT_TIMEOUT_MS: '1500' });
    const bounded = runtime.pool({ max: 1 });
    const unbounded = runtime.pool({ max: 1, statementTimeoutMs: 0 });
    try {
      const timeoutOf = async (pool: typeof bounded) =>
        (await pool.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]?.statement_timeout;
      expect(await timeoutOf(bounded)).toBe('1500ms');
      expect(await timeoutOf(unbounded)).toBe('0');
    } finally {
      await Promise.all([bounded.end(), unbounded.end()]);
    }
  });

  it('gives the embed queue the configured retry policy and retention', async () => {
    const prefix = uniquePrefix('runtime');
    const { runtime } = runtimeFor({
      QUEUE_PREFIX: prefix,
      JOB_ATTEMPTS: '7',
      JOB_BACKOFF_MS: '1234',
      QUEUE_KEEP_COMPLETED_COUNT: '12',
    });
    const connection = await connectForCommand(TEST_REDIS_URL);
    const queue = runtime.embedQueue(connection);
    try {
      expect(queue.defaultJobOptions).toMatchObject({
        attempts: 7,
        backoff: { delay: 1234 },
        removeOnComplete: { count: 12 },
      });
    } finally {
      await queue.close();
      await connection.quit();
    }
  });
});
