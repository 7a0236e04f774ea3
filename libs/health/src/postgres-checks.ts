import { type DatabaseDescription, describeDatabase } from '@vectorizer/store';
import type { Pool } from 'pg';
import { type CheckResult, fail, ok } from './check-result';

export async function checkPostgresReachable(pool: Pool): Promise<CheckResult> {
  const { rows } = await pool.query<{ db: string; version: string }>(
    "SELECT current_database() AS db, current_setting('server_version') AS version",
  );
  return ok('postgres', `connected to database ${rows[0].db} (PostgreSQL ${rows[0].version})`);
}

/** HNSW indexes arrived in pgvector 0.5.0. */
const MIN_PGVECTOR = [0, 5, 0];

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
        `pgvector ${db.pgvectorVersion} is too old: HNSW indexes need ${MIN_PGVECTOR.join('.')} or newer`,
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
 * Migrations applied, the embedding column bound to a dimension (the model's, when known) and
 * its HNSW index present. Without the index every search is a sequential scan: correct, but
 * orders of magnitude slower — so that is a FAIL too.
 */
export function judgeSchema(db: DatabaseDescription, expectedDimension?: number): CheckResult {
  const name = 'schema';
  const migrate = 'Run `npx vectorizer migrate`.';
  if (db.pendingMigrations.length > 0)
    return fail(name, `pending migrations: ${db.pendingMigrations.join(', ')}`, migrate);
  if (db.dimension === null)
    return fail(name, 'product_embeddings.embedding_visual is not bound to a dimension yet', migrate);
  if (expectedDimension !== undefined && db.dimension !== expectedDimension) {
    return fail(
      name,
      `embedding_visual is vector(${db.dimension}) but the model produces ${expectedDimension} dimensions`,
      'Configure the model the embeddings were made with, or run `npx vectorizer migrate --reembed` then `npx vectorizer enqueue --all`.',
    );
  }
  if (!db.hnswIndex) return fail(name, `no HNSW index on embedding_visual: searches would scan every row`, migrate);
  return ok(name, `schema version ${db.schemaVersion}, embedding_visual vector(${db.dimension}), HNSW index present`);
}

export async function checkSchema(pool: Pool, expectedDimension?: number): Promise<CheckResult> {
  return judgeSchema(await describeDatabase(pool), expectedDimension);
}
