import type { PoolClient } from 'pg';
import pgvector from 'pgvector/pg';
import { PgvectorMissingError, PgvectorPermissionError } from './errors';

/** Serializes CREATE EXTENSION across every schema of the database (it is database-wide). */
const EXTENSION_LOCK: [number, number] = [0x76657874, 0]; // 'vext'

/**
 * Creates the vector extension in public unless it exists. It goes into public rather than the
 * first schema of the search_path because test schemas are dropped with CASCADE, which would
 * take a schema-local extension (and every other schema's columns) with them.
 */
export async function ensurePgvector(client: PoolClient): Promise<string> {
  const installed = await installedVersion(client);
  if (installed !== undefined) return installed;

  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  if (available.rowCount === 0) throw new PgvectorMissingError();

  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', EXTENSION_LOCK);
    await client.query('CREATE EXTENSION IF NOT EXISTS vector SCHEMA public');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === '42501') throw new PgvectorPermissionError(error);
    // 58P01: control file missing (PostgreSQL <= 15); 0A000: "extension is not available" (16+).
    if (code === '58P01' || code === '0A000') throw new PgvectorMissingError(error);
    throw error;
  }
  // This connection was opened before the type existed, so createPool's hook skipped it.
  await pgvector.registerTypes(client);
  return (await installedVersion(client)) as string;
}

async function installedVersion(client: PoolClient): Promise<string | undefined> {
  const result = await client.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
  );
  return result.rows[0]?.extversion;
}
