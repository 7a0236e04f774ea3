import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { resolveModel } from '@vectorizer/embedder';
import { WorkerRegistry } from '@vectorizer/queue';
import { createPool, runMigrations } from '@vectorizer/store';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  uniquePrefix,
  type TestDatabase,
  DEV_TINY_MODEL_DIR,
} from '@vectorizer/testing';
import IORedis from 'ioredis';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const devModelDir = DEV_TINY_MODEL_DIR;

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

function doctor(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'vectorizer.js'), 'doctor', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', VECTORIZER_DEVICE: 'cpu', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name) as Check;

/** The doctor's queue handles write BullMQ's meta keys under the prefix; remove whatever it left. */
async function removeKeys(redis: IORedis, prefix: string): Promise<void> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 100);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length > 0) await redis.del(...keys);
}

describe('vectorizer doctor', () => {
  let bare: TestDatabase;
  let emptyModelDir: string;
  const barePrefix = uniquePrefix('doctor');

  beforeAll(async () => {
    bare = await createTestDatabase('doctor_bare');
    emptyModelDir = await mkdtemp(join(tmpdir(), 'vectorizer-no-model-'));
  });

  afterAll(async () => {
    await bare.drop();
    await rm(emptyModelDir, { recursive: true, force: true });
    const redis = new IORedis(TEST_REDIS_URL);
    await removeKeys(redis, barePrefix);
    redis.disconnect();
  });

  it('fails with the fix when pgvector is not created and the model directory is empty', () => {
    const result = doctor({ DATABASE_URL: bare.url, MODEL_DIR: emptyModelDir, QUEUE_PREFIX: barePrefix });
    expect(result.status).toBe(1);
    const lines = result.stdout.split('\n');
    const pgvector = lines.findIndex((l) => l.startsWith('FAIL  pgvector:'));
    expect(lines[pgvector]).toContain('is installed on the server but the extension is not created');
    expect(lines[pgvector + 1]).toContain('fix: Run `npx vectorizer migrate`');
    const model = lines.findIndex((l) => l.startsWith('FAIL  model:'));
    expect(lines[model]).toContain(emptyModelDir);
    expect(lines[model + 1]).toMatch(/^ {6}fix: /);
    expect(result.stdout).toContain('FAIL  embeddings: skipped: schema not ready');
    expect(result.stdout).toMatch(/\d+ ok, \d+ warning\(s\), \d+ failure\(s\)/);
  });

  describe('right after a finished run: no worker, an empty queue, the local Redis without persistence', () => {
    let finished: TestDatabase;
    const prefix = uniquePrefix('doctor-finished');

    beforeAll(async () => {
      await ensureDevModel({ dir: devModelDir, size: 'tiny' });
      const model = await resolveModel({ modelDir: devModelDir, dtype: 'fp32', devModelSize: 'tiny' });
      finished = await createTestDatabase('doctor_finished');
      const pool = createPool(finished.url, { max: 1 });
      await runMigrations(pool, { model: { id: model.id, dimension: model.dimension } });
      await pool.end();
    }, 60_000);

    afterAll(async () => {
      const redis = new IORedis(TEST_REDIS_URL);
      await removeKeys(redis, prefix);
      redis.disconnect();
      await finished.drop();
    });

    const env = () => ({ DATABASE_URL: finished.url, MODEL_DIR: devModelDir, QUEUE_PREFIX: prefix });

    it('warns and exits 0 in local development', () => {
      const result = doctor(env(), '--json');
      const report = JSON.parse(result.stdout) as { status: string; checks: Check[] };
      expect(byName(report.checks, 'workers')).toMatchObject({ status: 'warn' });
      // The shared test Redis on 127.0.0.1 runs without AOF or snapshots: advice here.
      expect(byName(report.checks, 'redis persistence').status).not.toBe('fail');
      expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
      expect(result.status).toBe(0);
    });

    it('stays strict with NODE_ENV=production', () => {
      const result = doctor({ ...env(), NODE_ENV: 'production', ALLOW_DEV_MODEL: 'true' }, '--json');
      const report = JSON.parse(result.stdout) as { status: string; checks: Check[] };
      const persistence = byName(report.checks, 'redis persistence');
      if (persistence.detail.startsWith('appendonly no and no RDB')) expect(persistence.status).toBe('fail');
      expect(byName(report.checks, 'workers')).toMatchObject({ status: 'warn' });
    });
  });

  describe('on a migrated database with a model and a worker', () => {
    let ready: TestDatabase;
    const prefix = uniquePrefix('doctor-ok');
    const redis = new IORedis(TEST_REDIS_URL);

    beforeAll(async () => {
      await ensureDevModel({ dir: devModelDir, size: 'tiny' });
      const model = await resolveModel({ modelDir: devModelDir, dtype: 'fp32', devModelSize: 'tiny' });
      ready = await createTestDatabase('doctor_ready');
      const pool = createPool(ready.url, { max: 1 });
      await runMigrations(pool, { model });
      await pool.query("INSERT INTO products (id, image_url) VALUES ('p1', 'https://img.test/p1.jpg')");
      await pool.end();
      const now = new Date().toISOString();
      await new WorkerRegistry(redis, prefix).beat(
        {
          workerId: 'w1',
          pid: 1,
          host: 'h',
          device: 'cpu',
          provider: 'cpu',
          model: model.id,
          dimension: model.dimension,
          batchSize: 8,
          concurrency: 8,
          startedAt: now,
          updatedAt: now,
          state: 'running',
        },
        { ttlMs: 60_000 },
      );
    }, 60_000);

    afterAll(async () => {
      await removeKeys(redis, prefix);
      redis.disconnect();
      await ready.drop();
    });

    it('reports every check as JSON, passing the ones that hold', () => {
      const result = doctor({ DATABASE_URL: ready.url, MODEL_DIR: devModelDir, QUEUE_PREFIX: prefix }, '--json');
      const report = JSON.parse(result.stdout) as { status: string; checks: Check[] };
      for (const name of [
        'redis',
        'postgres',
        'pgvector',
        'schema',
        'execution provider',
        'workers',
        'queue embed',
        'dead letters',
      ]) {
        expect(byName(report.checks, name)).toMatchObject({ status: 'ok' });
      }
      // Verified and usable, but a generated model with random weights is never "ok".
      expect(byName(report.checks, 'model')).toMatchObject({ status: 'warn' });
      expect(byName(report.checks, 'model').detail).toMatch(/dimension \d+, dtype fp32, vision \+ text towers/);
      expect(byName(report.checks, 'model').detail).toContain('random weights');
      expect(byName(report.checks, 'workers').detail).toContain('w1 on cpu');
      expect(byName(report.checks, 'embeddings')).toMatchObject({ status: 'warn' });
      expect(byName(report.checks, 'embeddings').detail).toContain('0 embedded, 1 missing or stale');
      // The shared test Redis runs without AOF: the doctor must say so, and exit non-zero for it.
      const persistence = byName(report.checks, 'redis persistence');
      expect(result.status).toBe(persistence.status === 'fail' ? 1 : 0);
    });
  });
});
