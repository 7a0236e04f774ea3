import pg from 'pg';
import { VectorizerError } from '@vectorizer/errors';
import { redactUrl } from '@vectorizer/logger';

export type PostgresFailureCause =
  | 'connection refused'
  | 'unknown host'
  | 'timed out'
  | 'authentication failed'
  | 'database does not exist'
  | 'not accepting connections'
  | 'unreachable';

type PostgresFailureCode = 'POSTGRES_UNAVAILABLE' | 'POSTGRES_AUTH_FAILED' | 'POSTGRES_DATABASE_MISSING';

/**
 * PostgreSQL refused or never answered a connection: which server (URL without its password), the
 * cause and the fix. The code tells a supervisor what to do (the error registry): the server being
 * down is worth waiting for, a wrong password or database name is not.
 */
export class PostgresConnectError extends VectorizerError {
  declare readonly code: PostgresFailureCode;

  constructor(
    code: PostgresFailureCode,
    readonly failure: PostgresFailureCause,
    readonly url: string,
    message: string,
    hint: string,
    cause: unknown,
  ) {
    super(code, message, { hint, cause });
  }
}

const sqlstate = (error: unknown) => (error as { code?: unknown } | null)?.code;

function looksLikeTimeout(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return sqlstate(error) === 'ETIMEDOUT' || /timeout|timed out/i.test(message);
}

/** The one reading of "PostgreSQL would not let us in": the worker's start and every CLI command use it. */
export function describePostgresFailure(databaseUrl: string, error: unknown): PostgresConnectError {
  if (error instanceof PostgresConnectError) return error;
  const url = redactUrl(databaseUrl);
  let parsed: URL | undefined;
  try {
    parsed = new URL(databaseUrl);
  } catch {
    parsed = undefined;
  }
  const host = parsed ? `${parsed.hostname}:${parsed.port || '5432'}` : 'the server';
  const database = parsed ? decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) : '';
  const user = parsed ? decodeURIComponent(parsed.username) || 'the default user' : 'the user';
  const code = sqlstate(error);
  const make = (
    failureCode: PostgresFailureCode,
    failure: PostgresFailureCause,
    detail: string,
    hint: string,
  ): PostgresConnectError =>
    new PostgresConnectError(failureCode, failure, url, `PostgreSQL at ${url}: ${detail}`, hint, error);

  if (code === '28P01' || code === '28000')
    return make(
      'POSTGRES_AUTH_FAILED',
      'authentication failed',
      `authentication failed for ${user} (${(error as Error).message})`,
      "Fix the user or password in DATABASE_URL (or the server's pg_hba.conf); restarting will not help.",
    );
  if (code === '3D000')
    return make(
      'POSTGRES_DATABASE_MISSING',
      'database does not exist',
      `database "${database}" does not exist`,
      `Create it (\`createdb -h ${parsed?.hostname ?? 'HOST'} ${database}\`) or fix the database name in DATABASE_URL.`,
    );
  if (code === 'ECONNREFUSED')
    return make(
      'POSTGRES_UNAVAILABLE',
      'connection refused',
      `connection refused by ${host}`,
      'Start PostgreSQL, or fix the host and port in DATABASE_URL.',
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return make(
      'POSTGRES_UNAVAILABLE',
      'unknown host',
      `the host name ${parsed?.hostname ?? ''} does not resolve`,
      'Fix the host in DATABASE_URL, or check DNS (in docker compose: the service name).',
    );
  if (code === '57P03' || code === '53300' || code === '55000' || code === '57P01')
    return make(
      'POSTGRES_UNAVAILABLE',
      'not accepting connections',
      `the server is not accepting connections (${(error as Error).message})`,
      'Wait for PostgreSQL to finish starting, or check max_connections and ALLOW_CONNECTIONS on the database.',
    );
  if (looksLikeTimeout(error))
    return make(
      'POSTGRES_UNAVAILABLE',
      'timed out',
      `no answer from ${host} in time`,
      "Check that PostgreSQL is running and that no firewall drops traffic to DATABASE_URL's host and port.",
    );
  return make(
    'POSTGRES_UNAVAILABLE',
    'unreachable',
    `cannot connect (${error instanceof Error ? error.message : String(error)})`,
    'Check that PostgreSQL at DATABASE_URL is running and reachable.',
  );
}

/**
 * One round trip on a fresh connection, bounded by `timeoutMs`; throws a PostgresConnectError that
 * names the cause. Run before anything that would otherwise hang or fail with a bare socket error.
 */
export async function probePostgres(databaseUrl: string, options: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw describePostgresFailure(databaseUrl, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
