import { createTestSchema, type TestSchema } from '@vectorizer/testing';
import type { Pool, PoolClient } from 'pg';
import { checkSchema, describeDatabase } from './describe-database';
import { MigrationChecksumMismatchError, SchemaNewerThanCodeError, SchemaNotReadyError } from './errors';
import { modelIndexName } from './model-index';
import { migrations } from './migrations';
import { createPool } from './pool';
import { MIGRATION_LOCK_CLASS, migrationLabel, runMigrations } from './run-migrations';

const DIMENSION = 8;
const SHA = 'a'.repeat(64);
const MODEL = { id: 'm', dimension: DIMENSION };

/** Polls pg_locks until some session waits for the migration lock of `schema`. */
async function waitUntilWaitingForLock(client: PoolClient, schema: string): Promise<void> {
  for (;;) {
    const waiting = await client.query(
      "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = hashtext($2)::oid",
      [MIGRATION_LOCK_CLASS, schema],
    );
    if (waiting.rowCount === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('runMigrations', () => {
  let db: TestSchema;
  const extraPools: Pool[] = [];
  const pool = (): Pool => db.pool;
  const anotherPool = (): Pool => {
    const created = createPool(db.url, { schema: db.schema, max: 2 });
    extraPools.push(created);
    return created;
  };

  beforeEach(async () => {
    db = await createTestSchema('store_migrate', { connect: (url, schema) => createPool(url, { schema, max: 3 }) });
  });

  afterEach(async () => {
    await Promise.all(extraPools.splice(0).map((p) => p.end()));
    await db.drop();
  });

  async function insertEmbedding(id: string, dimension: number, model = 'm'): Promise<void> {
    await pool().query('INSERT INTO products (id, image_url) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      id,
      `https://img/${id}.jpg`,
    ]);
    const vector = `[${Array.from({ length: dimension }, (_, i) => (i + 1) / dimension).join(',')}]`;
    await pool().query(
      `INSERT INTO product_embeddings (product_id, model, dim, embedding_visual, image_url, image_sha256)
       VALUES ($1, $6, $2, $3, $4, $5)`,
      [id, dimension, vector, `https://img/${id}.jpg`, SHA, model],
    );
  }

  const indexDef = async (name: string): Promise<string | undefined> =>
    (
      await pool().query<{ indexdef: string }>(
        'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2',
        [db.schema, name],
      )
    ).rows[0]?.indexdef;

  it('creates the schema in its own schema, registers the model with its own index; a second run is a no-op', async () => {
    const first = await runMigrations(pool(), { model: MODEL });
    expect(first.applied).toEqual(migrations.map(migrationLabel));
    expect(first.applied[0]).toBe('0001_create_products');
    expect(first.registration).toMatchObject({
      created: true,
      model: { id: 'm', dim: DIMENSION, dtype: 'fp32', storage: 'vector', active: true },
    });

    const tables = await pool().query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_name IN ('products', 'product_embeddings', 'schema_migrations', 'models') AND table_schema = $1
        ORDER BY table_name`,
      [db.schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'models',
      'product_embeddings',
      'products',
      'schema_migrations',
    ]);
    // The vector type lives in public and resolves through search_path "<schema>,public"; the
    // column takes any dimension, the model's index fixes its own.
    const type = await pool().query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'product_embeddings'::regclass AND attname = 'embedding_visual'`,
    );
    expect(type.rows[0]?.type).toBe('vector');
    expect(await indexDef(modelIndexName('m'))).toMatch(
      /USING hnsw \(\(\(embedding_visual\)::vector\(8\)\) vector_cosine_ops\) WHERE \(model = 'm'::text\)/,
    );

    const before = await pool().query('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version');
    const second = await runMigrations(pool(), { model: MODEL });
    expect(second.applied).toEqual([]);
    expect(second.registration?.created).toBe(false);
    const after = await pool().query('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version');
    expect(after.rows).toEqual(before.rows);
  });

  it('applies each migration once when two pools race on a fresh schema', async () => {
    const results = await Promise.all([
      runMigrations(pool(), { model: MODEL }),
      runMigrations(anotherPool(), { model: MODEL }),
    ]);
    const applied = results.map((r) => r.applied.length).sort();
    expect(applied).toEqual([0, migrations.length]);
    const rows = await pool().query('SELECT version FROM schema_migrations');
    expect(rows.rowCount).toBe(migrations.length);
  });

  it('serializes migrations of the same schema but not of different schemas', async () => {
    const holder = await anotherPool().connect();
    const other = await createTestSchema('store_migrate_other', {
      connect: (url, schema) => createPool(url, { schema, max: 1 }),
    });
    try {
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, db.schema]);
      let sameSchemaDone = false;
      const sameSchema = runMigrations(pool(), { model: MODEL }).then((result) => {
        sameSchemaDone = true;
        return result;
      });
      await waitUntilWaitingForLock(holder, db.schema);
      // Another schema migrates to the end while this schema's lock is held...
      expect((await runMigrations(other.pool, { model: MODEL })).applied).toHaveLength(migrations.length);
      // ...and this schema's migration is still waiting for it.
      expect(sameSchemaDone).toBe(false);
      await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, db.schema]);
      expect((await sameSchema).applied).toHaveLength(migrations.length);
    } finally {
      holder.release();
      await other.drop();
    }
  });

  it('registers models of other dimensions beside the first (which stays active); the seed count query counts all', async () => {
    await runMigrations(pool(), { model: MODEL });
    const second = await runMigrations(pool(), {
      model: { id: 'big', dimension: 16, dtype: 'fp16', storage: 'halfvec' },
    });
    expect(second.registration?.model).toMatchObject({
      id: 'big',
      dim: 16,
      dtype: 'fp16',
      storage: 'halfvec',
      active: false,
    });
    expect(await indexDef(modelIndexName('big'))).toMatch(
      /USING hnsw \(\(\(embedding_visual\)::halfvec\(16\)\) halfvec_cosine_ops\) WHERE \(model = 'big'::text\)/,
    );
    await insertEmbedding('p1', DIMENSION);
    await insertEmbedding('p2', DIMENSION);
    await insertEmbedding('p1', 16, 'big');
    await pool().query("INSERT INTO products (id, image_url) VALUES ('p3', 'https://img/p3.jpg')");
    await pool().query(
      "INSERT INTO product_embeddings (product_id, model, dim, embedding_visual) VALUES ('p3', 'm', $1, NULL)",
      [DIMENSION],
    );
    const { rows } = await pool().query<{ count: string }>(
      'SELECT COUNT(*) FROM product_embeddings WHERE embedding_visual IS NOT NULL;',
    );
    expect(rows[0]?.count).toBe('3');
    // A vector can only be stored under a registered model, with that model's dimension (the
    // model's index expression refuses it first).
    await expect(insertEmbedding('p4', 16)).rejects.toThrow(/expected 8 dimensions, not 16/);
    await expect(insertEmbedding('p4', DIMENSION, 'unregistered')).rejects.toThrow(
      /product_embeddings_model_registered/,
    );
    const active = await pool().query<{ id: string }>('SELECT id FROM models WHERE active');
    expect(active.rows).toEqual([{ id: 'm' }]);
  });

  it('refuses the same model id with another dimension, naming both, and changes nothing', async () => {
    await runMigrations(pool(), { model: MODEL });
    await insertEmbedding('p1', DIMENSION);
    const error = await runMigrations(pool(), { model: { id: 'm', dimension: 16 } }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'MODEL_REGISTRATION_CONFLICT',
      registeredDimension: DIMENSION,
      requestedDimension: 16,
    });
    expect((error as Error).message).toContain('registered with 8 dimensions');
    expect((await describeDatabase(pool())).models).toEqual([
      { id: 'm', dim: DIMENSION, storage: 'vector', active: true, indexed: true },
    ]);
    expect((await pool().query('SELECT 1 FROM product_embeddings')).rowCount).toBe(1);
  });

  it("keeps a registered model's storage and says the configured one was ignored", async () => {
    await runMigrations(pool(), { model: MODEL });
    const again = await runMigrations(pool(), { model: { ...MODEL, storage: 'halfvec' } });
    expect(again.registration).toMatchObject({ model: { storage: 'vector' }, storageIgnored: 'halfvec' });
  });

  it('upgrades a database of schema version 2 (bound column, one index): vectors kept, models registered and indexed', async () => {
    // The schema exactly as version 2 left it: migrations 1-2, then the old runner's binding step.
    await runMigrations(pool(), { migrations: migrations.filter((m) => m.version <= 2) });
    await pool().query(`ALTER TABLE product_embeddings ALTER COLUMN embedding_visual TYPE vector(${DIMENSION})`);
    await pool().query(
      'CREATE INDEX product_embeddings_embedding_visual_hnsw ON product_embeddings USING hnsw (embedding_visual vector_cosine_ops)',
    );
    for (const id of ['p1', 'p2', 'p3']) await insertEmbedding(id, DIMENSION);
    await insertEmbedding('p1', DIMENSION, 'm@fp16');

    const upgraded = await runMigrations(pool(), { model: MODEL });
    expect(upgraded.applied).toEqual([
      '0003_create_models',
      '0004_notify_products_to_embed',
      '0005_reuse_identical_images',
      '0006_filtered_knn',
      '0007_duplicate_links',
    ]);
    expect(upgraded.indexesBuilt.sort()).toEqual(['m', 'm@fp16']);
    expect(upgraded.registration?.created).toBe(false);
    const registry = await pool().query('SELECT id, dim, dtype, storage, active FROM models ORDER BY id');
    expect(registry.rows).toEqual([
      { id: 'm', dim: DIMENSION, dtype: 'fp32', storage: 'vector', active: true },
      { id: 'm@fp16', dim: DIMENSION, dtype: 'fp16', storage: 'vector', active: false },
    ]);
    expect(await indexDef('product_embeddings_embedding_visual_hnsw')).toBeUndefined();
    expect(await indexDef(modelIndexName('m'))).toBeDefined();
    expect(await indexDef(modelIndexName('m@fp16'))).toBeDefined();
    const count = await pool().query<{ count: string }>(
      'SELECT COUNT(*) FROM product_embeddings WHERE embedding_visual IS NOT NULL;',
    );
    expect(count.rows[0]?.count).toBe('4');
    // The column is no longer bound: a model of another dimension now fits beside the old vectors.
    await runMigrations(pool(), { model: { id: 'wide', dimension: 16 } });
    await insertEmbedding('p2', 16, 'wide');
    await expect(checkSchema(pool(), { id: 'wide', dimension: 16 })).resolves.toMatchObject({
      activeModel: { id: 'm' },
      pendingMigrations: [],
    });
  });

  it('rebuilds a missing model index, and readiness fails until then', async () => {
    await runMigrations(pool(), { model: MODEL });
    await pool().query(`DROP INDEX ${modelIndexName('m')}`);
    await expect(checkSchema(pool())).rejects.toThrow(/HNSW index of model\(s\) m is missing/);
    const repaired = await runMigrations(pool(), {});
    expect(repaired.indexesBuilt).toEqual(['m']);
    await expect(checkSchema(pool())).resolves.toMatchObject({ models: [{ id: 'm', indexed: true }] });
  });

  it('refuses to run when an applied migration was edited', async () => {
    await runMigrations(pool(), { model: MODEL });
    const tampered = migrations.map((m) => (m.version === 1 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    const error = await runMigrations(pool(), { model: MODEL, migrations: tampered }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationChecksumMismatchError);
    expect(error).toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH', version: 1 });
  });

  it('refuses a database migrated by a newer build', async () => {
    await runMigrations(pool(), { model: MODEL });
    await pool().query("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'from_the_future', 'x')");
    await expect(runMigrations(pool(), { model: MODEL })).rejects.toBeInstanceOf(SchemaNewerThanCodeError);
  });

  it('rejects a dimension the HNSW index of the storage cannot hold', async () => {
    await expect(runMigrations(pool(), { model: { id: 'm', dimension: 0 } })).rejects.toMatchObject({
      code: 'INVALID_STORE_INPUT',
    });
    await expect(runMigrations(pool(), { model: { id: 'm', dimension: 2001 } })).rejects.toThrow(/1 to 2000/);
    await expect(runMigrations(pool(), { model: { id: 'm', dimension: 4001, storage: 'halfvec' } })).rejects.toThrow(
      /1 to 4000/,
    );
    await expect(runMigrations(pool(), { model: { id: ' ', dimension: 8 } })).rejects.toThrow(/model id/);
  });

  it('describes a fresh schema and says it is not ready until migrated', async () => {
    const fresh = await describeDatabase(pool());
    expect(fresh).toMatchObject({ schemaVersion: null, models: [], activeModel: null });
    expect(fresh.pendingMigrations).toHaveLength(migrations.length);
    expect(fresh.pgvectorAvailableVersion).toMatch(/^\d+\.\d+/);
    await expect(checkSchema(pool())).rejects.toBeInstanceOf(SchemaNotReadyError);

    await runMigrations(pool(), { model: MODEL });
    const migrated = await checkSchema(pool(), MODEL);
    expect(migrated).toMatchObject({
      // The newest version (versions may have gaps: each feature reserves its own number).
      schemaVersion: Math.max(...migrations.map((m) => m.version)),
      activeModel: { id: 'm', dim: DIMENSION, indexed: true },
      pendingMigrations: [],
    });
    expect(migrated.pgvectorVersion).toMatch(/^\d+\.\d+/);
    await expect(checkSchema(pool(), { id: 'm', dimension: 16 })).rejects.toThrow(
      /registered with 8 dimensions but the configured files produce 16/,
    );
    await expect(checkSchema(pool(), { id: 'other', dimension: 8 })).rejects.toThrow(/other is not registered/);
  });
});
