import type pg from 'pg';
import type { Config } from '@vectorizer/config';
import {
  connectForCommand,
  createEmbedQueue,
  DeadLetters,
  retentionFromSettings,
  type EmbedQueue,
} from '@vectorizer/queue';
import type { Redis } from 'ioredis';
import type { Logger } from '@vectorizer/logger';
import { createPool, poolOptionsFromConfig, probePostgres } from '@vectorizer/store';
import { resolveConfiguredModel } from './commands/model';

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
 * A pool after one successful round trip, so a database that cannot be used is reported at once with
 * the URL (password masked), the cause and a fix (pg itself would wait forever on a black-holed host).
 */
export async function openDatabase(config: Config, options: { max?: number; schema?: string } = {}): Promise<pg.Pool> {
  await probePostgres(config.DATABASE_URL);
  return createPool(config.DATABASE_URL, {
    ...poolOptionsFromConfig(config),
    max: options.max ?? config.DATABASE_POOL_MAX,
    schema: options.schema,
  });
}

/** The model id jobs and embeddings are keyed by: --model when given, else the configured model's. */
export async function currentModelId(config: Config, logger: Logger, override?: string): Promise<string> {
  if (override !== undefined) return override;
  return (await resolveConfiguredModel(config, logger)).id;
}
