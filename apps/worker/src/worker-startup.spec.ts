import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import {
  DEV_TINY_MODEL_DIR,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  createTestDatabase,
  freePort,
  type TestDatabase,
  startRedisServer,
  type RedisServerHandle,
} from '@vectorizer/testing';
import IORedis from 'ioredis';

import { spawnWorker } from './test-support/worker-harness';

let isolatedDatabase: TestDatabase;

jest.setTimeout(60_000);

interface Run {
  code: number | null;
  lines: string[];
  text: string;
}

/**
 * Starts the real worker process and waits for it to give up; every output line is kept. Its
 * default database is this file's own, so a regression that got as far as migrating could never
 * touch the schema other tests share.
 */
async function startWorker(env: Record<string, string>): Promise<Run> {
  const worker = spawnWorker({
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: isolatedDatabase.url,
    MODEL_DIR: DEV_TINY_MODEL_DIR,
    VECTORIZER_DEVICE: 'cpu',
    INFERENCE_THREADS: '1',
    ...env,
  });
  const killer = setTimeout(() => worker.child.kill('SIGKILL'), 45_000);
  const code = await worker.exited;
  clearTimeout(killer);
  const text = worker.output();
  return { code, text, lines: text.split('\n').filter((line) => line.trim() !== '') };
}

/** The run printed exactly one line, the classified fatal one; returns it parsed. */
function oneFatalLine(run: Run): { code: string; msg: string; hint: string } {
  expect(run.lines).toHaveLength(1);
  const entry = JSON.parse(run.lines[0] as string);
  expect(entry.level).toBe('fatal');
  return entry;
}

function databaseUrl(changes: { database?: string; user?: string; password?: string; port?: number }): string {
  const url = new URL(TEST_DATABASE_URL);
  if (changes.database) url.pathname = `/${changes.database}`;
  if (changes.user) url.username = changes.user;
  if (changes.password) url.password = changes.password;
  if (changes.port) url.port = String(changes.port);
  return url.toString();
}

describe('worker start-up failures (apps/worker/src/main.ts)', () => {
  let scratch: string;

  beforeAll(async () => {
    await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
    isolatedDatabase = await createTestDatabase('worker_startup');
    scratch = await mkdtemp(join(tmpdir(), 'vectorizer-worker-startup-'));
  });
  afterAll(async () => {
    await isolatedDatabase?.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('a refused PostgreSQL port: one line naming service, URL, cause and fix; exit 1 (restart with backoff)', async () => {
    const url = databaseUrl({ port: await freePort() });
    const run = await startWorker({ DATABASE_URL: url });
    expect(run.code).toBe(1);
    const fatal = oneFatalLine(run);
    expect(fatal.code).toBe('POSTGRES_UNAVAILABLE');
    expect(fatal.msg).toContain(`PostgreSQL at ${url}: connection refused`);
    expect(fatal.hint).toContain('DATABASE_URL');
  });

  it('a database that does not exist: POSTGRES_DATABASE_MISSING, exit 78', async () => {
    const run = await startWorker({ DATABASE_URL: databaseUrl({ database: 'vectorizer_startup_missing' }) });
    expect(run.code).toBe(78);
    const fatal = oneFatalLine(run);
    expect(fatal.code).toBe('POSTGRES_DATABASE_MISSING');
    expect(fatal.msg).toContain('database "vectorizer_startup_missing" does not exist');
    expect(fatal.hint).toContain('createdb');
  });

  it('wrong credentials: POSTGRES_AUTH_FAILED, exit 78, the password nowhere in the output', async () => {
    // The shared server trusts 127.0.0.1, so a wrong password is never checked; an unknown role is
    // refused with SQLSTATE 28000 (28P01 is covered in libs/store against a protocol-level server).
    const url = databaseUrl({ user: 'vectorizer_startup_nobody', password: 'startup-secret-pw' });
    const run = await startWorker({ DATABASE_URL: url });
    expect(run.code).toBe(78);
    const fatal = oneFatalLine(run);
    expect(fatal.code).toBe('POSTGRES_AUTH_FAILED');
    expect(fatal.msg).toContain('vectorizer_startup_nobody:***@');
    expect(run.text).not.toContain('startup-secret-pw');
  });

  it('a malformed DATABASE_URL with a password: CONFIG_INVALID, exit 78, the password nowhere in the output', async () => {
    const run = await startWorker({ DATABASE_URL: 'postgres://app:malformed-secret#x@db.internal:port/x' });
    expect(run.code).toBe(78);
    expect(oneFatalLine(run).code).toBe('CONFIG_INVALID');
    expect(run.text).toContain('DATABASE_URL');
    expect(run.text).not.toContain('malformed-secret');
  });

  describe('Redis that requires a password', () => {
    let redis: RedisServerHandle;
    beforeAll(async () => {
      redis = await startRedisServer();
      const admin = new IORedis(redis.url);
      await admin.config('SET', 'requirepass', 'right-secret');
      admin.disconnect();
    });
    afterAll(() => redis.stop());

    it.each([
      ['a wrong password', 'wrong-secret'],
      ['no password', undefined],
    ])('%s: REDIS_AUTH_FAILED, exit 78', async (_name, password) => {
      const url = password ? `redis://:${password}@127.0.0.1:${redis.port}` : redis.url;
      const run = await startWorker({ REDIS_URL: url });
      expect(run.code).toBe(78);
      const fatal = oneFatalLine(run);
      expect(fatal.code).toBe('REDIS_AUTH_FAILED');
      expect(fatal.hint).toContain('REDIS_URL');
      expect(run.text).not.toContain('wrong-secret');
    });
  });

  describe('NODE_ENV=production', () => {
    let hfHome: string;
    beforeAll(async () => {
      // The dev model where resolveModel looks for it when neither MODEL_DIR nor MODEL_ID is set.
      hfHome = join(scratch, 'hf');
      await mkdir(join(hfHome, 'vectorizer-dev'), { recursive: true });
      await symlink(DEV_TINY_MODEL_DIR, join(hfHome, 'vectorizer-dev', 'tiny'));
    });

    it('refuses the dev model: DEV_MODEL_IN_PRODUCTION, exit 78, the fix in the line', async () => {
      const run = await startWorker({ NODE_ENV: 'production', MODEL_DIR: '', HF_HOME: hfHome });
      expect(run.code).toBe(78);
      const fatal = oneFatalLine(run);
      expect(fatal.code).toBe('DEV_MODEL_IN_PRODUCTION');
      expect(fatal.msg).toContain('MODEL_DIR');
      expect(fatal.msg).toContain('ALLOW_DEV_MODEL=true');
    });

    it('a dev model named by MODEL_DIR is refused too', async () => {
      const run = await startWorker({ NODE_ENV: 'production' });
      expect(run.code).toBe(78);
      expect(oneFatalLine(run).code).toBe('DEV_MODEL_IN_PRODUCTION');
    });
  });
});
