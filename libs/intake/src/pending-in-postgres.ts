import { type QueueStats, getQueueStats } from '@vectorizer/queue';
import type { Queue } from 'bullmq';

/**
 * Products that need an embedding and that the queue does not hold yet: the part of the backlog the
 * queue window left in Postgres. Estimated from two counts (products missing an embedding, minus the
 * jobs waiting, active, delayed or dead-lettered), floored at 0: a dead letter of an image a product
 * no longer has makes it an underestimate, never a negative.
 */
export function pendingInPostgres(missing: number, queue: QueueStats): number {
  return Math.max(0, missing - queue.waiting - queue.active - queue.delayed - queue.failed);
}

/** `pendingInPostgres` counted now, for `model`, from the embeddings and the queue. */
export async function countPendingInPostgres(
  embeddings: { countMissing(model: string): Promise<number> },
  queue: Queue,
  model: string,
): Promise<number> {
  const [missing, stats] = await Promise.all([embeddings.countMissing(model), getQueueStats(queue)]);
  return pendingInPostgres(missing, stats);
}
