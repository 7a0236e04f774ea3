import type { Pool } from 'pg';
import { SchemaNotReadyError } from './errors';
import { modelIndexName } from './model-index';
import { migrationLabel } from './run-migrations';
import { migrations } from './migrations';

/** One registered model as doctor and readiness see it. */
export interface DescribedModel {
  id: string;
  dim: number;
  storage: string;
  active: boolean;
  /** Its partial HNSW index exists; without it searches of the model scan every row. */
  indexed: boolean;
}

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
  /** The model registry, oldest first; empty before migrating. */
  models: DescribedModel[];
  /** The model searches use; null when none is active (or before migrating). */
  activeModel: DescribedModel | null;
}

/** What doctor and readiness report; reads only catalogs, never fails on a fresh database. */
export async function describeDatabase(pool: Pool): Promise<DatabaseDescription> {
  const { rows } = await pool.query<{
    postgres_version: string;
    installed: string | null;
    available: string | null;
    migrations_table: string | null;
    models_table: string | null;
  }>(
    `SELECT current_setting('server_version') AS postgres_version,
            (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
            (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available,
            to_regclass('schema_migrations')::text AS migrations_table,
            to_regclass('models')::text AS models_table`,
  );
  const row = rows[0] as (typeof rows)[number];
  const applied = new Set<number>();
  if (row.migrations_table !== null) {
    const result = await pool.query<{ version: number }>('SELECT version FROM schema_migrations');
    for (const { version } of result.rows) applied.add(version);
  }
  const models: DescribedModel[] = [];
  if (row.models_table !== null) {
    const result = await pool.query<{ id: string; dim: number; storage: string; active: boolean }>(
      'SELECT id, dim, storage, active FROM models ORDER BY created_at, id',
    );
    const indexes = await pool.query<{ index: string }>(
      'SELECT to_regclass(name)::text AS index FROM unnest($1::text[]) AS name',
      [result.rows.map((model) => modelIndexName(model.id))],
    );
    result.rows.forEach((model, i) => models.push({ ...model, indexed: indexes.rows[i]?.index != null }));
  }
  return {
    postgresVersion: row.postgres_version,
    pgvectorVersion: row.installed,
    pgvectorAvailableVersion: row.available,
    schemaVersion: applied.size === 0 ? null : Math.max(...applied),
    pendingMigrations: migrations.filter((m) => !applied.has(m.version)).map(migrationLabel),
    models,
    activeModel: models.find((model) => model.active) ?? null,
  };
}

/**
 * Readiness: resolves with the description when the schema is fully migrated, a model is active
 * and every registered model has its index (and `expectedModel`, when given, is registered with
 * that dimension); otherwise throws SchemaNotReadyError saying what is wrong.
 */
export async function checkSchema(
  pool: Pool,
  expectedModel?: { id: string; dimension: number },
): Promise<DatabaseDescription> {
  const db = await describeDatabase(pool);
  if (db.pgvectorVersion === null)
    throw new SchemaNotReadyError('the vector extension is not created in this database');
  if (db.pendingMigrations.length > 0)
    throw new SchemaNotReadyError(`pending migrations ${db.pendingMigrations.join(', ')}`);
  if (expectedModel !== undefined) {
    const registered = db.models.find((model) => model.id === expectedModel.id);
    if (!registered) throw new SchemaNotReadyError(`the configured model ${expectedModel.id} is not registered`);
    if (registered.dim !== expectedModel.dimension) {
      throw new SchemaNotReadyError(
        `model ${expectedModel.id} is registered with ${registered.dim} dimensions but the configured files produce ${expectedModel.dimension}`,
        `Check MODEL_DIR / MODEL_ID, or \`npx vectorizer models drop ${expectedModel.id} --force\` and migrate again.`,
      );
    }
  }
  const unindexed = db.models.filter((model) => !model.indexed).map((model) => model.id);
  if (unindexed.length > 0)
    throw new SchemaNotReadyError(`the HNSW index of model(s) ${unindexed.join(', ')} is missing`);
  if (db.activeModel === null && db.models.length > 0)
    throw new SchemaNotReadyError('no model is active', 'Run `npx vectorizer models activate ID`.');
  return db;
}
