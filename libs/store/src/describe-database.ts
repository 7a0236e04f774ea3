import type { Pool } from 'pg';
import { HNSW_INDEX_NAME, readBoundDimension } from './embedding-dimension';
import { SchemaNotReadyError } from './errors';
import { migrationLabel } from './run-migrations';
import { migrations } from './migrations';

export interface DatabaseDescription {
  /** server_version of PostgreSQL. */
  postgresVersion: string;
  /** Installed pgvector version in this database; null when the extension is not created. */
  pgvectorVersion: string | null;
  /** Version pgvector would install (null: not available on the server at all). */
  pgvectorAvailableVersion: string | null;
  /** Highest applied migration; null before the first migration. */
  schemaVersion: number | null;
  /** Migrations of this build not yet applied, as "0002_create_product_embeddings". */
  pendingMigrations: string[];
  /** Dimension embedding_visual is bound to; null while unbound or before migrating. */
  dimension: number | null;
  hnswIndex: boolean;
}

/** What doctor and readiness report; reads only catalogs, never fails on a fresh database. */
export async function describeDatabase(pool: Pool): Promise<DatabaseDescription> {
  const { rows } = await pool.query<{
    postgres_version: string;
    installed: string | null;
    available: string | null;
    migrations_table: string | null;
    hnsw_index: string | null;
  }>(
    `SELECT current_setting('server_version') AS postgres_version,
            (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
            (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available,
            to_regclass('schema_migrations')::text AS migrations_table,
            to_regclass($1)::text AS hnsw_index`,
    [HNSW_INDEX_NAME],
  );
  const row = rows[0] as (typeof rows)[number];
  const applied = new Set<number>();
  if (row.migrations_table !== null) {
    const result = await pool.query<{ version: number }>('SELECT version FROM schema_migrations');
    for (const { version } of result.rows) applied.add(version);
  }
  return {
    postgresVersion: row.postgres_version,
    pgvectorVersion: row.installed,
    pgvectorAvailableVersion: row.available,
    schemaVersion: applied.size === 0 ? null : Math.max(...applied),
    pendingMigrations: migrations.filter((m) => !applied.has(m.version)).map(migrationLabel),
    dimension: await readBoundDimension(pool),
    hnswIndex: row.hnsw_index !== null,
  };
}

/**
 * Readiness: resolves with the description when the schema is fully migrated, indexed and bound
 * to `expectedDimension` (when given); otherwise throws SchemaNotReadyError saying what is wrong.
 */
export async function checkSchema(pool: Pool, expectedDimension?: number): Promise<DatabaseDescription> {
  const db = await describeDatabase(pool);
  if (db.pgvectorVersion === null)
    throw new SchemaNotReadyError('the vector extension is not created in this database');
  if (db.pendingMigrations.length > 0)
    throw new SchemaNotReadyError(`pending migrations ${db.pendingMigrations.join(', ')}`);
  if (db.dimension === null)
    throw new SchemaNotReadyError('product_embeddings.embedding_visual has no dimension bound');
  if (expectedDimension !== undefined && db.dimension !== expectedDimension) {
    throw new SchemaNotReadyError(
      `embedding_visual is bound to ${db.dimension} dimensions but the model produces ${expectedDimension}`,
      'Run `npx vectorizer migrate --reembed`, then `npx vectorizer enqueue --all`.',
    );
  }
  if (!db.hnswIndex) throw new SchemaNotReadyError(`the HNSW index ${HNSW_INDEX_NAME} is missing`);
  return db;
}
