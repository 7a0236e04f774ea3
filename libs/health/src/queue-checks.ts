import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { getQueueStats } from '@vectorizer/queue';
import { type CheckResult, ok, warn } from './check-result';

/** How many active jobs are inspected for a lock; enough to spot a dead worker, cheap on a big queue. */
const ACTIVE_SAMPLE = 1_000;

/**
 * Queue depth plus one sign of trouble: "stalled" jobs — active jobs whose lock has expired because
 * the worker holding them died. A live worker's stalled checker moves those back to waiting within
 * WORKER_STALLED_INTERVAL_MS; if they stay, no worker is watching. Failed jobs are the dead
 * letters: checkDeadLetters reports them.
 */
export async function checkQueueJobs(queue: Queue, redis: Redis): Promise<CheckResult> {
  const name = `queue ${queue.name}`;
  const stats = await getQueueStats(queue);
  const active = await queue.getActive(0, ACTIVE_SAMPLE - 1);
  // EXISTS with several keys answers how many of them exist: the rest are active jobs without a lock.
  const lockKeys = active.map((job) => `${queue.toKey(job.id ?? '')}:lock`);
  const stalled = lockKeys.length === 0 ? 0 : lockKeys.length - (await redis.exists(...lockKeys));
  const detail = `waiting ${stats.waiting}, active ${stats.active}, delayed ${stats.delayed}, failed ${stats.failed}, stalled ${stalled}`;
  if (stalled > 0) {
    return warn(
      name,
      detail,
      'Stalled jobs hold no lock: their worker died. Start a worker (`npx vectorizer worker`); its stalled checker requeues them.',
    );
  }
  return ok(name, detail);
}

/** The dead letters: the embed queue's failed jobs (DeadLetters.count). */
export async function checkDeadLetters(deadLetters: { count(): Promise<number> }): Promise<CheckResult> {
  const name = 'dead letters';
  const size = await deadLetters.count();
  if (size === 0) return ok(name, 'none');
  return warn(
    name,
    `${size} job(s) dead-lettered`,
    'List them with `npx vectorizer dlq list` (each with its code and fix), fix the cause, then `npx vectorizer dlq retry --all` (or retry them in the dashboard\'s "failed" tab).',
  );
}

/** Products whose image has an embedding for the model, vs those still missing one (or stale). */
export async function checkEmbeddingCoverage(
  embeddings: { countEmbedded(model: string): Promise<number>; countMissing(model: string): Promise<number> },
  model: string,
): Promise<CheckResult> {
  const name = 'embeddings';
  const [embedded, missing] = await Promise.all([embeddings.countEmbedded(model), embeddings.countMissing(model)]);
  const detail = `${embedded} embedded, ${missing} missing or stale for model ${model}`;
  if (missing === 0) return ok(name, detail);
  return warn(name, detail, 'Run `npx vectorizer enqueue` to queue the missing products, and keep a worker running.');
}
