import pg from 'pg';
import type { Config } from '@vectorizer/config';
import { VectorizerError } from '@vectorizer/errors';
import {
  connectForCommand,
  createEmbedQueue,
  DeadLetters,
  redactUrl,
  retentionFromSettings,
  type EmbedQueue,
} from '@vectorizer/queue';
import type { Redis } from 'ioredis';
import type { Logger } from '@vectorizer/logger';
import { createPool } from '@vectorizer/store';
import { resolveConfiguredModel } from './commands/model';

/** PostgreSQL did not accept a connection; commands fail fast with this instead of hanging. */
export class PostgresUnavailableError extends VectorizerError {
  constructor(databaseUrl: string, cause?: unknown) {
    super('POSTGRES_UNAVAILABLE', `PostgreSQL is unreachable at ${redactUrl(databaseUrl)}`, {
      hint: 'start PostgreSQL or point DATABASE_URL at a running server (e.g. postgres://postgres@127.0.0.1:5432/postgres)',
      cause,
    });
  }
}

export interface QueueServices {
  connection: Redis;
  queue: EmbedQueue;
  /** The embed queue's failed jobs. */
  deadLetters: DeadLetters;
  close(): Promise<void>;
}

/** The embed queue and its dead letters on one fail-fast connection (REDIS_UNAVAILABLE when Redis is down). */
export async function openQueues(config: Config): Promise<QueueServices> {
  const connection = await connectForCommand(config.REDIS_URL);
  const queue = createEmbedQueue({
    connection,
    prefix: config.QUEUE_PREFIX,
    retryPolicy: { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS },
    retention: retentionFromSettings(config),
  });
  const deadLetters = new DeadLetters(queue);
  return {
    connection,
    queue,
    deadLetters,
    close: async () => {
      await queue.close();
      await connection.quit();
    },
  };
}

/**
 * A pool after one successful round trip, so an unreachable database is reported at once with the
 * URL and a fix (pg itself would wait forever on a black-holed host).
 */
export async function openDatabase(config: Config, options: { max?: number; schema?: string } = {}): Promise<pg.Pool> {
  const probe = new pg.Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 5_000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (error) {
    throw new PostgresUnavailableError(config.DATABASE_URL, error);
  } finally {
    await probe.end().catch(() => undefined);
  }
  return createPool(config.DATABASE_URL, { max: options.max ?? config.DATABASE_POOL_MAX, schema: options.schema });
}

/** The model id jobs and embeddings are keyed by: --model when given, else the configured model's. */
export async function currentModelId(config: Config, logger: Logger, override?: string): Promise<string> {
  if (override !== undefined) return override;
  return (await resolveConfiguredModel(config, logger)).id;
}
