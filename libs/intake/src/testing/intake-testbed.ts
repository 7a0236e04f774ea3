import type { Redis } from 'ioredis';
import { connectForCommand, createEmbedQueue, type EmbedQueue } from '@vectorizer/queue';
import { createPool, ProductsRepository, runMigrations } from '@vectorizer/store';
import { createMigratedSchema, TEST_REDIS_URL, type TestSchema } from '@vectorizer/testing';

/** What intake specs run against: a migrated schema of their own and a Redis connection. */
export interface IntakeTestbed {
  db: TestSchema;
  connection: Redis;
  products: ProductsRepository;
  /** An embed queue on `connection` under `prefix` (a uniquePrefix), retrying like the default policy. */
  embedQueue(prefix: string): EmbedQueue;
  /** Quits the connection and drops the schema; close the queues first. */
  close(): Promise<void>;
}

export async function openIntakeTestbed(
  name: string,
  options: { model: string; poolMax: number },
): Promise<IntakeTestbed> {
  const db = await createMigratedSchema(
    { createPool, runMigrations },
    name,
    { id: options.model, dimension: 4 },
    options.poolMax,
  );
  const connection = await connectForCommand(TEST_REDIS_URL);
  return {
    db,
    connection,
    products: new ProductsRepository(db.pool),
    embedQueue: (prefix) => createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 3, backoffMs: 100 } }),
    close: async () => {
      await connection.quit();
      await db.drop();
    },
  };
}
