import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL every test uses (infra/scripts/ensure-pgvector.sh installs pgvector into it). */
export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A lower-case identifier no other test uses: `<prefix>_<8 hex>`, at most 63 characters. */
export function uniqueIdentifier(prefix: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^[^a-z_]/, '_$&');
  return `${cleaned.slice(0, 50)}_${randomBytes(4).toString('hex')}`;
}

export interface TestSchema {
  schema: string;
  /** The database the schema lives in. */
  url: string;
  /** A pool whose search_path is `<schema>,public` (public holds the vector extension). */
  pool: pg.Pool;
  /** Ends the pool and drops the schema with everything in it. */
  drop(): Promise<void>;
}

export interface TestSchemaOptions {
  /** Builds the pool, e.g. `(url, schema) => createPool(url, { schema })` from @vectorizer/store. */
  connect?: (url: string, schema: string) => pg.Pool;
  url?: string;
}

/** A fresh, empty schema for one test file, so files can run in parallel against one database. */
export async function createTestSchema(prefix: string, options: TestSchemaOptions = {}): Promise<TestSchema> {
  const url = options.url ?? TEST_DATABASE_URL;
  const schema = uniqueIdentifier(prefix);
  await withAdminClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
  const pool = options.connect
    ? options.connect(url, schema)
    : new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema},public` });
  return {
    schema,
    url,
    pool,
    drop: async () => {
      await pool.end();
      await withAdminClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, disconnecting whatever is still connected to it. */
  drop(): Promise<void>;
}

/** A fresh, empty database (for tests of whole processes, e.g. `vectorizer migrate`). */
export async function createTestDatabase(prefix: string, options: { url?: string } = {}): Promise<TestDatabase> {
  const adminUrl = options.url ?? TEST_DATABASE_URL;
  const name = uniqueIdentifier(prefix);
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
