import pg from 'pg';
import pgvector from 'pgvector/pg';
import { InvalidStoreInputError } from './errors';

export interface PoolOptions {
  /** Most connections this pool opens (DATABASE_POOL_MAX). */
  max?: number;
  /**
   * Called when an idle connection breaks (server restart, network drop). pg-pool discards the
   * connection either way; without a listener the 'error' event would crash the process.
   */
  onIdleError?: (error: Error) => void;
  /**
   * Puts every table in this schema (tests use one schema per file). The search_path becomes
   * `<schema>,public` because the vector extension lives in public.
   */
  schema?: string;
  /**
   * Bounds on every connection: how long to wait for a connection (a server that accepts TCP and
   * never answers would otherwise hang a write forever) and for one statement (server-side, with
   * the same client-side bound a little later in case the server itself stops answering).
   * `statementTimeoutMs: 0` sets no bound on statements: for schema work (index builds) whose length
   * grows with the catalog.
   */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates a pg pool whose connections parse `vector` columns into number arrays. Connections
 * opened before the extension existed (i.e. before the first migration) keep returning vectors as
 * text; nothing in this lib reads vectors back through the type parser.
 */
export function createPool(databaseUrl: string, opts: PoolOptions = {}): pg.Pool {
  const {
    max = 10,
    schema,
    onIdleError = () => undefined,
    connectTimeoutMs = 5_000,
    statementTimeoutMs = 60_000,
  } = opts;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new InvalidStoreInputError(
      `Schema name ${JSON.stringify(schema)} is not allowed: use lower-case letters, digits and _ (at most 63)`,
    );
  }
  let vectorTypeKnown = false;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: 'vectorizer',
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    ...(statementTimeoutMs === 0 ? {} : { query_timeout: statementTimeoutMs + 1_000 }),
    options: schema === undefined ? undefined : `-c search_path=${schema},public`,
    // Awaited by pg-pool before the connection is handed out, so the first query already parses vectors.
    onConnect: async (client) => {
      if (!vectorTypeKnown) {
        const found = await client.query("SELECT 1 FROM pg_type WHERE typname = 'vector' LIMIT 1");
        if (found.rowCount === 0) return;
        vectorTypeKnown = true;
      }
      await pgvector.registerTypes(client);
    },
  });
  pool.on('error', onIdleError);
  return pool;
}

/** The pool settings every process reads from the environment (DATABASE_*). */
export function poolOptionsFromConfig(config: {
  DATABASE_POOL_MAX: number;
  DATABASE_CONNECT_TIMEOUT_MS: number;
  DATABASE_STATEMENT_TIMEOUT_MS: number;
}): Pick<PoolOptions, 'max' | 'connectTimeoutMs' | 'statementTimeoutMs'> {
  return {
    max: config.DATABASE_POOL_MAX,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  };
}
