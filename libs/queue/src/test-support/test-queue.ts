import { setTimeout as sleep } from 'node:timers/promises';
import { type Processor, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '@vectorizer/testing';
import { connectForCommand, createWorkerConnection } from '../connection';
import { createEmbedQueue, type EmbedQueue } from '../embed-queue';
import { embedBackoffStrategy, type RetryPolicy } from '../job-options';
import { getQueueStats, isDrained } from '../queue-stats';

/** An embed queue under the test's own prefix on the shared test Redis, with its command connection. */
export async function openTestQueue(
  prefix: string,
  retryPolicy: RetryPolicy,
): Promise<{ connection: Redis; queue: EmbedQueue }> {
  const connection = await connectForCommand(TEST_REDIS_URL);
  return { connection, queue: createEmbedQueue({ connection, prefix, retryPolicy }) };
}

/** Empties the queue, then closes it and its connection. */
export async function closeTestQueue(queue: EmbedQueue, connection: Redis): Promise<void> {
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
}

/** Runs a real BullMQ worker until every job is finished (or `done` says so). */
export async function processAll(
  queue: EmbedQueue,
  prefix: string,
  handler: Processor,
  workerOptions: { stalledInterval?: number; maxStalledCount?: number; lockDuration?: number } = {},
  done?: () => Promise<boolean>,
): Promise<void> {
  const connection = createWorkerConnection(TEST_REDIS_URL);
  const worker = new Worker(queue.name, handler, {
    connection,
    prefix,
    concurrency: 5,
    settings: { backoffStrategy: embedBackoffStrategy },
    ...workerOptions,
  });
  const deadline = Date.now() + 20_000;
  try {
    for (;;) {
      if (done ? await done() : isDrained(await getQueueStats(queue))) return;
      if (Date.now() > deadline) throw new Error(`queue did not settle: ${JSON.stringify(await getQueueStats(queue))}`);
      await sleep(25);
    }
  } finally {
    await worker.close();
    await connection.quit();
  }
}
