import { createTestSchema, type TestSchema } from '@vectorizer/testing';
import type { Pool, PoolClient } from 'pg';
import { checkSchema, describeDatabase } from './describe-database';
import { HNSW_INDEX_NAME } from './embedding-dimension';
import {
  EmbeddingDimensionMismatchError,
  MigrationChecksumMismatchError,
  SchemaNewerThanCodeError,
  SchemaNotReadyError,
} from './errors';
import { migrations } from './migrations';
import { createPool } from './pool';
import { MIGRATION_LOCK_CLASS, migrationLabel, runMigrations } from './run-migrations';

const DIMENSION = 8;
const SHA = 'a'.repeat(64);

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

  async function insertEmbedding(id: string, dimension: number): Promise<void> {
    await pool().query('INSERT INTO products (id, image_url) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      id,
      `https://img/${id}.jpg`,
    ]);
    const vector = `[${Array.from({ length: dimension }, (_, i) => (i + 1) / dimension).join(',')}]`;
    await pool().query(
      `INSERT INTO product_embeddings (product_id, model, dim, embedding_visual, image_url, image_sha256)
       VALUES ($1, 'm', $2, $3, $4, $5)`,
      [id, dimension, vector, `https://img/${id}.jpg`, SHA],
    );
  }

  it('creates the schema in its own schema, binds the dimension and indexes it; a second run is a no-op', async () => {
    const first = await runMigrations(pool(), { dimension: DIMENSION });
    expect(first.applied).toEqual(migrations.map(migrationLabel));
    expect(first.applied[0]).toBe('0001_create_products');
    expect(first.binding).toMatchObject({
      dimension: DIMENSION,
      previousDimension: null,
      changed: true,
      droppedEmbeddings: 0,
    });

    const tables = await pool().query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_name IN ('products', 'product_embeddings', 'schema_migrations') AND table_schema = $1 ORDER BY table_name`,
      [db.schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(['product_embeddings', 'products', 'schema_migrations']);
    // The vector type lives in public and resolves through search_path "<schema>,public".
    const type = await pool().query<{ type: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'product_embeddings'::regclass AND attname = 'embedding_visual'`,
    );
    expect(type.rows[0]?.type).toBe(`vector(${DIMENSION})`);
    const index = await pool().query<{ indexdef: string }>(
      'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2',
      [db.schema, HNSW_INDEX_NAME],
    );
    expect(index.rows[0]?.indexdef).toMatch(/USING hnsw \(embedding_visual vector_cosine_ops\)/);

    const before = await pool().query('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version');
    const second = await runMigrations(pool(), { dimension: DIMENSION });
    expect(second.applied).toEqual([]);
    expect(second.binding.changed).toBe(false);
    const after = await pool().query('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version');
    expect(after.rows).toEqual(before.rows);
  });

  it('applies each migration once when two pools race on a fresh schema', async () => {
    const results = await Promise.all([
      runMigrations(pool(), { dimension: DIMENSION }),
      runMigrations(anotherPool(), { dimension: DIMENSION }),
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
      const sameSchema = runMigrations(pool(), { dimension: DIMENSION }).then((result) => {
        sameSchemaDone = true;
        return result;
      });
      await waitUntilWaitingForLock(holder, db.schema);
      // Another schema migrates to the end while this schema's lock is held...
      expect((await runMigrations(other.pool, { dimension: DIMENSION })).applied).toHaveLength(migrations.length);
      // ...and this schema's migration is still waiting for it.
      expect(sameSchemaDone).toBe(false);
      await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, db.schema]);
      expect((await sameSchema).applied).toHaveLength(migrations.length);
    } finally {
      holder.release();
      await other.drop();
    }
  });

  it('keeps the seed count query working', async () => {
    await runMigrations(pool(), { dimension: DIMENSION });
    await insertEmbedding('p1', DIMENSION);
    await insertEmbedding('p2', DIMENSION);
    await pool().query("INSERT INTO products (id, image_url) VALUES ('p3', 'https://img/p3.jpg')");
    await pool().query(
      "INSERT INTO product_embeddings (product_id, model, dim, embedding_visual) VALUES ('p3', 'm', $1, NULL)",
      [DIMENSION],
    );
    const { rows } = await pool().query<{ count: string }>(
      'SELECT COUNT(*) FROM product_embeddings WHERE embedding_visual IS NOT NULL;',
    );
    expect(rows[0]?.count).toBe('2');
  });

  it('refuses another dimension, naming both dimensions and the way out, and changes nothing', async () => {
    await runMigrations(pool(), { dimension: DIMENSION });
    await insertEmbedding('p1', DIMENSION);
    const error = await runMigrations(pool(), { dimension: 16 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingDimensionMismatchError);
    expect(error).toMatchObject({
      code: 'EMBEDDING_DIMENSION_MISMATCH',
      boundDimension: DIMENSION,
      requestedDimension: 16,
    });
    const { message, hint } = error as EmbeddingDimensionMismatchError;
    expect(message).toContain('bound to 8 dimensions');
    expect(message).toContain('produces 16-dimensional embeddings');
    expect(hint).toContain('npx vectorizer migrate --reembed');
    expect(hint).toContain('npx vectorizer enqueue --all');
    expect((await describeDatabase(pool())).dimension).toBe(DIMENSION);
    expect((await pool().query('SELECT 1 FROM product_embeddings')).rowCount).toBe(1);
  });

  it('refuses to bind an unbound column that already holds embeddings of another dimension', async () => {
    await runMigrations(pool(), { dimension: DIMENSION });
    // Simulate a database from before dimension binding: plain `vector` column with 4-d rows.
    await pool().query(`DROP INDEX ${HNSW_INDEX_NAME}`);
    await pool().query('ALTER TABLE product_embeddings ALTER COLUMN embedding_visual TYPE vector');
    await insertEmbedding('p1', 4);
    await expect(runMigrations(pool(), { dimension: DIMENSION })).rejects.toMatchObject({
      boundDimension: 4,
      requestedDimension: DIMENSION,
    });
  });

  it('--reembed drops the embeddings of the old dimension, rebinds the column and reindexes', async () => {
    await runMigrations(pool(), { dimension: DIMENSION });
    await insertEmbedding('p1', DIMENSION);
    await insertEmbedding('p2', DIMENSION);
    const result = await runMigrations(pool(), { dimension: 16, reembed: true });
    expect(result.binding).toEqual({
      dimension: 16,
      previousDimension: DIMENSION,
      changed: true,
      droppedEmbeddings: 2,
    });
    expect((await pool().query('SELECT 1 FROM product_embeddings')).rowCount).toBe(0);
    expect((await pool().query('SELECT 1 FROM products')).rowCount).toBe(2);
    await insertEmbedding('p1', 16);
    await expect(insertEmbedding('p2', DIMENSION)).rejects.toThrow(/expected 16 dimensions, not 8/);
    const described = await checkSchema(pool(), 16);
    expect(described).toMatchObject({ dimension: 16, hnswIndex: true, pendingMigrations: [] });

    const again = await runMigrations(pool(), { dimension: 16, reembed: true });
    expect(again.binding).toMatchObject({ changed: false, droppedEmbeddings: 0 });
  });

  it('refuses to run when an applied migration was edited', async () => {
    await runMigrations(pool(), { dimension: DIMENSION });
    const tampered = migrations.map((m) => (m.version === 1 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    const error = await runMigrations(pool(), { dimension: DIMENSION, migrations: tampered }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationChecksumMismatchError);
    expect(error).toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH', version: 1 });
  });

  it('refuses a database migrated by a newer build', async () => {
    await runMigrations(pool(), { dimension: DIMENSION });
    await pool().query("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'from_the_future', 'x')");
    await expect(runMigrations(pool(), { dimension: DIMENSION })).rejects.toBeInstanceOf(SchemaNewerThanCodeError);
  });

  it('rejects a dimension the HNSW index cannot hold', async () => {
    await expect(runMigrations(pool(), { dimension: 0 })).rejects.toMatchObject({ code: 'INVALID_STORE_INPUT' });
    await expect(runMigrations(pool(), { dimension: 4096 })).rejects.toThrow(/1 to 2000/);
  });

  it('describes a fresh schema and says it is not ready until migrated', async () => {
    const fresh = await describeDatabase(pool());
    expect(fresh).toMatchObject({ schemaVersion: null, dimension: null, hnswIndex: false });
    expect(fresh.pendingMigrations).toHaveLength(migrations.length);
    expect(fresh.pgvectorAvailableVersion).toMatch(/^\d+\.\d+/);
    await expect(checkSchema(pool())).rejects.toBeInstanceOf(SchemaNotReadyError);

    await runMigrations(pool(), { dimension: DIMENSION });
    const migrated = await checkSchema(pool(), DIMENSION);
    expect(migrated).toMatchObject({
      // The newest version (versions may have gaps: each feature reserves its own number).
      schemaVersion: Math.max(...migrations.map((m) => m.version)),
      dimension: DIMENSION,
      hnswIndex: true,
      pendingMigrations: [],
    });
    expect(migrated.pgvectorVersion).toMatch(/^\d+\.\d+/);
    await expect(checkSchema(pool(), 16)).rejects.toThrow(/bound to 8 dimensions but the model produces 16/);
  });
});
