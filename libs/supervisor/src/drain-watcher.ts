import { setTimeout as sleep } from 'node:timers/promises';
import { getQueueStats, isDrained, type EmbedQueue, type QueueStats } from '@vectorizer/queue';

/**
 * Resolves true once the queue has had nothing waiting, active or delayed for `confirmations`
 * consecutive polls (one empty snapshot can fall between a producer's chunks), and `backlog` (work
 * the queue window left in Postgres, when the reconcile loop runs, counted against this poll's
 * `stats`) says nothing is left; false if aborted.
 */
export async function waitUntilDrained(
  queue: EmbedQueue,
  options: {
    pollMs: number;
    confirmations?: number;
    signal?: AbortSignal;
    backlog?: (stats: QueueStats) => Promise<number>;
  },
): Promise<boolean> {
  const needed = options.confirmations ?? 2;
  let seen = 0;
  while (!options.signal?.aborted) {
    const stats = await getQueueStats(queue);
    seen = isDrained(stats) && (options.backlog === undefined || (await options.backlog(stats)) === 0) ? seen + 1 : 0;
    if (seen >= needed) return true;
    try {
      await sleep(options.pollMs, undefined, { signal: options.signal });
    } catch {
      return false;
    }
  }
  return false;
}
