import { type DatabaseDescription, describeDatabase } from '@vectorizer/store';
import type { Pool } from 'pg';
import { type CheckResult, fail, ok } from './check-result';

export async function checkPostgresReachable(pool: Pool): Promise<CheckResult> {
  const { rows } = await pool.query<{ db: string; version: string }>(
    "SELECT current_database() AS db, current_setting('server_version') AS version",
  );
  return ok('postgres', `connected to database ${rows[0].db} (PostgreSQL ${rows[0].version})`);
}

/** Filtered search sets hnsw.iterative_scan, which pgvector has from 0.8.0 on (HNSW itself from 0.5.0). */
const MIN_PGVECTOR = [0, 8, 0];

function atLeast(version: string, minimum: number[]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < minimum.length; i += 1) {
    if ((parts[i] ?? 0) !== minimum[i]) return (parts[i] ?? 0) > minimum[i];
  }
  return true;
}

/**
 * Decides on what the catalogs say, separately from reading them, so every branch (including
 * "not installed on the server", which this machine cannot reproduce for real) is testable.
 */
export function judgePgvector(
  db: Pick<DatabaseDescription, 'pgvectorVersion' | 'pgvectorAvailableVersion'>,
): CheckResult {
  const name = 'pgvector';
  if (db.pgvectorVersion !== null) {
    if (!atLeast(db.pgvectorVersion, MIN_PGVECTOR)) {
      return fail(
        name,
        `pgvector ${db.pgvectorVersion} is too old: iterative HNSW index scans (filtered search) need ${MIN_PGVECTOR.join('.')} or newer`,
        'Install a newer pgvector on the server, then run `ALTER EXTENSION vector UPDATE;` in this database.',
      );
    }
    return ok(name, `pgvector ${db.pgvectorVersion}`);
  }
  if (db.pgvectorAvailableVersion !== null) {
    return fail(
      name,
      `pgvector ${db.pgvectorAvailableVersion} is installed on the server but the extension is not created in this database`,
      'Run `npx vectorizer migrate` (it runs CREATE EXTENSION vector), or as a superuser: `CREATE EXTENSION vector;`.',
    );
  }
  return fail(
    name,
    'the PostgreSQL server has no pgvector extension installed',
    'Install pgvector on the database host (infra/scripts/ensure-pgvector.sh), or use the pgvector/pgvector:pg15 image.',
  );
}

export async function checkPgvector(pool: Pool): Promise<CheckResult> {
  return judgePgvector(await describeDatabase(pool));
}

/**
 * Migrations applied, a model active, and every registered model's HNSW index present (the
 * configured model registered with its dimension, when known). Without its index a model's
 * searches scan every row: correct, but orders of magnitude slower — so that is a FAIL too.
 */
export function judgeSchema(db: DatabaseDescription, expectedModel?: { id: string; dimension: number }): CheckResult {
  const name = 'schema';
  const migrate = 'Run `npx vectorizer migrate`.';
  if (db.pendingMigrations.length > 0)
    return fail(name, `pending migrations: ${db.pendingMigrations.join(', ')}`, migrate);
  if (db.models.length === 0) return fail(name, 'no embedding model is registered yet', migrate);
  if (expectedModel !== undefined) {
    const registered = db.models.find((model) => model.id === expectedModel.id);
    if (!registered) return fail(name, `the configured model ${expectedModel.id} is not registered`, migrate);
    if (registered.dim !== expectedModel.dimension) {
      return fail(
        name,
        `model ${expectedModel.id} is registered with ${registered.dim} dimensions but the configured files produce ${expectedModel.dimension}`,
        `Check MODEL_DIR / MODEL_ID, or \`npx vectorizer models drop ${expectedModel.id} --force\` and migrate again.`,
      );
    }
  }
  const unindexed = db.models.filter((model) => !model.indexed).map((model) => model.id);
  if (unindexed.length > 0)
    return fail(
      name,
      `no HNSW index for model(s) ${unindexed.join(', ')}: their searches would scan every row`,
      migrate,
    );
  const active = db.activeModel;
  if (active === null)
    return fail(name, 'no model is active: searches cannot answer', 'Run `npx vectorizer models activate ID`.');
  return ok(
    name,
    `schema version ${db.schemaVersion}, active model ${active.id} (${active.storage}(${active.dim})), ` +
      `${db.models.length} model(s) registered, HNSW indexes present`,
  );
}

export async function checkSchema(pool: Pool, expectedModel?: { id: string; dimension: number }): Promise<CheckResult> {
  return judgeSchema(await describeDatabase(pool), expectedModel);
}
