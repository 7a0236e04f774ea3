import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { resolveModel } from '@vectorizer/embedder';
import { EmbeddingsRepository, ProductsRepository, createPool, runMigrations } from '@vectorizer/store';
import { DEV_TINY_MODEL_DIR, createTestDatabase, type TestDatabase } from '@vectorizer/testing';

const BIN = join(__dirname, '../../../../bin/vectorizer.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function vectorizer(databaseUrl: string, ...args: string[]): Promise<Run> {
  return vectorizerWith({}, databaseUrl, ...args);
}

function vectorizerWith(env: Record<string, string>, databaseUrl: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          MODEL_DIR: DEV_TINY_MODEL_DIR,
          LOG_FORMAT: 'json',
          LOG_LEVEL: 'warn',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('vectorizer migrate and vectorizer models', () => {
  let db: TestDatabase;
  let modelId: string;
  let dimension: number;

  beforeAll(async () => {
    await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
    const model = await resolveModel({ modelDir: DEV_TINY_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' });
    modelId = model.id;
    dimension = model.dimension;
    db = await createTestDatabase('cli_migrate');
  }, 60_000);

  afterAll(async () => {
    await db.drop();
  });

  it('migrates an empty database once when two processes race, registering the configured model as active', async () => {
    const racing = await Promise.all([vectorizer(db.url, 'migrate'), vectorizer(db.url, 'migrate')]);
    expect(racing.map((run) => run.code)).toEqual([0, 0]);
    const lines = racing.map((run) => run.stdout.trim()).sort();
    const registered = `model ${modelId} registered (vector(${dimension}), fp32, active)`;
    const already = `model ${modelId} already registered (vector(${dimension}), fp32, active)`;
    expect(lines[0]).toBe(
      'applied 7 migration(s) 0001_create_products, 0002_create_product_embeddings, 0003_create_models, ' +
        '0004_notify_products_to_embed, 0005_reuse_identical_images, 0006_filtered_knn, 0007_duplicate_links ' +
        `(schema version 7); ${registered}`,
    );
    expect(lines[1]).toBe(`schema up to date (version 7); ${already}`);
  });

  it('refuses the dev model in production as the worker and the API do, registering nothing', async () => {
    const fresh = await createTestDatabase('cli_migrate_prod');
    const pool = createPool(fresh.url, { max: 1 });
    try {
      const refused = await vectorizerWith({ NODE_ENV: 'production', ALLOW_DEV_MODEL: 'false' }, fresh.url, 'migrate');
      expect(refused.code).toBe(78);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('DEV_MODEL_IN_PRODUCTION');
      expect(refused.stderr).toContain('ALLOW_DEV_MODEL=true');
      const tables = await pool.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'models'");
      expect(tables.rowCount).toBe(0);

      const allowed = await vectorizerWith({ NODE_ENV: 'production', ALLOW_DEV_MODEL: 'true' }, fresh.url, 'migrate');
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toContain(`model ${modelId} registered`);
    } finally {
      await pool.end();
      await fresh.drop();
    }
  });

  it('refuses the retired --reembed and --dimension with the way forward', async () => {
    const reembed = await vectorizer(db.url, 'migrate', '--reembed');
    expect(reembed.code).not.toBe(0);
    expect(reembed.stdout).toBe('');
    expect(reembed.stderr).toContain('OPTION_RETIRED');
    expect(reembed.stderr).toContain('npx vectorizer models activate ID');
    const dimensionFlag = await vectorizer(db.url, 'migrate', '--dimension', '64');
    expect(dimensionFlag.stderr).toContain('`migrate --dimension` is retired');
  });

  it('lists, activates (refusing below 100% without --force) and drops models', async () => {
    const pool = createPool(db.url, { max: 1 });
    try {
      await runMigrations(pool, { model: { id: 'next/model', dimension: 4, storage: 'halfvec' } });
      await new ProductsRepository(pool).upsertMany([
        { id: 'p1', imageUrl: 'https://img/p1.jpg' },
        { id: 'p2', imageUrl: 'https://img/p2.jpg' },
      ]);
      await new EmbeddingsRepository(pool).upsertMany([
        {
          productId: 'p1',
          model: 'next/model',
          embedding: Float32Array.from([1, 0, 0, 0]),
          imageUrl: 'https://img/p1.jpg',
          imageSha256: 'c'.repeat(64),
        },
      ]);
    } finally {
      await pool.end();
    }

    const listed = await vectorizer(db.url, 'models', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      { id: modelId, dim: dimension, dtype: 'fp32', storage: 'vector', embedded: 0, total: 2, active: true },
      { id: 'next/model', dim: 4, dtype: 'fp32', storage: 'halfvec', embedded: 1, total: 2, active: false },
    ]);

    const refused = await vectorizer(db.url, 'models', 'activate', 'next/model');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('MODEL_COVERAGE_INCOMPLETE');
    expect(refused.stderr).toContain('has embedded 1 of 2 products (50%)');

    const forced = await vectorizer(db.url, 'models', 'activate', 'next/model', '--force');
    expect(forced).toMatchObject({
      code: 0,
      stdout: `model next/model is active (1/2 embedded, 50%); ${modelId} no longer answers searches\n`,
    });
    expect((await vectorizer(db.url, 'models', 'list')).stdout).toContain(
      '* next/model\thalfvec(4)\tfp32\t1/2 embedded (50%)\tactive',
    );

    const activeDrop = await vectorizer(db.url, 'models', 'drop', 'next/model');
    expect(activeDrop.stderr).toContain('ACTIVE_MODEL_DROP_REFUSED');
    expect(await vectorizer(db.url, 'models', 'drop', modelId)).toMatchObject({
      code: 0,
      stdout: `dropped model ${modelId}: 0 vector(s) and its index\n`,
    });
    const unknown = await vectorizer(db.url, 'models', 'activate', 'nope');
    expect(unknown.stderr).toContain('MODEL_NOT_REGISTERED');
  }, 180_000);
});
