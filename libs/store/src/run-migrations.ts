import { createHash } from 'node:crypto';
import type { Logger } from '@vectorizer/logger';
import type { Pool, PoolClient } from 'pg';
import { ensurePgvector } from './ensure-pgvector';
import { InvalidStoreInputError, MigrationChecksumMismatchError, SchemaNewerThanCodeError } from './errors';
import { type Migration, migrations as allMigrations } from './migrations';
import {
  ensureEveryModelIndex,
  type ModelRegistration,
  type RegistrationResult,
  registerModel,
} from './models-repository';

/*
 * A small runner instead of node-pg-migrate: that package is ESM-only, which our CommonJS build and
 * Jest (SWC → CJS) cannot require, and we need the model registration under the same lock anyway.
 */

/** Advisory-lock class for migrations; the second key is hashtext(current_schema()). */
export const MIGRATION_LOCK_CLASS = 0x76656374; // 'vect'

export interface MigrateOptions {
  /**
   * The configured model: registered when new, with its HNSW index (the first model registered
   * becomes active). Models of other dimensions already registered stay untouched. Left out, the
   * schema is migrated and no model is registered.
   */
  model?: ModelRegistration;
  logger?: Logger;
  /** For tests of the runner itself; production always uses the built-in list. */
  migrations?: readonly Migration[];
}

export interface MigrateResult {
  /** Migrations this call applied, as "0001_create_products"; empty when already up to date. */
  applied: string[];
  schemaVersion: number;
  pgvectorVersion: string;
  /** The configured model's registration, when one was given. */
  registration?: RegistrationResult;
  /** Registered models whose missing index this call built (e.g. after an upgrade from version 2). */
  indexesBuilt: string[];
}

export const migrationLabel = (m: Pick<Migration, 'version' | 'name'>): string =>
  `${String(m.version).padStart(4, '0')}_${m.name}`;

export const migrationChecksum = (m: Migration): string => createHash('sha256').update(m.sql).digest('hex');

/**
 * Brings the schema of the pool's search_path up to date, builds any missing model index and
 * registers the configured model.
 * Safe to run from several processes at once: they serialize on an advisory lock keyed by the
 * schema (so test schemas do not wait for each other), and the later ones find nothing to do.
 */
export async function runMigrations(pool: Pool, opts: MigrateOptions): Promise<MigrateResult> {
  const migrations = opts.migrations ?? allMigrations;
  const client = await pool.connect();
  let failed = false;
  try {
    const pgvectorVersion = await ensurePgvector(client);
    const schema = await lockSchema(client);
    const applied = await applyPending(client, migrations, opts.logger);
    // A runner test's own migration list may have no registry.
    const hasRegistry = (await client.query<{ exists: boolean }>("SELECT to_regclass('models') IS NOT NULL AS exists"))
      .rows[0]?.exists;
    const indexesBuilt = hasRegistry ? await ensureEveryModelIndex(client, opts.logger) : [];
    const registration = hasRegistry && opts.model ? await registerModel(client, opts.model, opts.logger) : undefined;
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
    const schemaVersion = Math.max(0, ...migrations.map((m) => m.version));
    opts.logger?.info(
      { schema, applied, schemaVersion, model: registration?.model.id },
      'database schema is up to date',
    );
    return { applied, schemaVersion, pgvectorVersion, indexesBuilt, ...(registration ? { registration } : {}) };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // On failure the connection is closed rather than reused: that also releases the session lock.
    client.release(failed);
  }
}

async function lockSchema(client: PoolClient): Promise<string> {
  const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  if (!schema) {
    throw new InvalidStoreInputError('No schema of the search_path exists: create the schema before migrating into it');
  }
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
  return schema;
}

async function applyPending(client: PoolClient, migrations: readonly Migration[], logger?: Logger): Promise<string[]> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version     int PRIMARY KEY,
      name        text NOT NULL,
      checksum    text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  );
  const known = new Map(migrations.map((m) => [m.version, m]));
  const unknown = rows.filter((row) => !known.has(row.version)).map((row) => row.version);
  if (unknown.length > 0) throw new SchemaNewerThanCodeError(unknown);
  for (const row of rows) {
    const migration = known.get(row.version) as Migration;
    if (migrationChecksum(migration) !== row.checksum) throw new MigrationChecksumMismatchError(row.version, row.name);
  }

  const done = new Set(rows.map((row) => row.version));
  const applied: string[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    await client.query('BEGIN');
    try {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migrationChecksum(migration),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    applied.push(migrationLabel(migration));
    logger?.info({ migration: migrationLabel(migration) }, 'applied migration');
  }
  return applied;
}
