import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { runScript, type RedisScript } from './redis-script';

export interface QueueStats {
  /** Ready to run, including jobs held by a paused queue and prioritized jobs. */
  waiting: number;
  active: number;
  /** Waiting for their backoff to expire (retries) or a delay. */
  delayed: number;
  /** The dead letters (see DeadLetters), bounded by QUEUE_KEEP_FAILED_*. */
  failed: number;
  /** Completed jobs kept for the dashboard (bounded by QUEUE_KEEP_COMPLETED_*). */
  completed: number;
}

export async function getQueueStats(queue: Queue): Promise<QueueStats> {
  // BullMQ 6 keeps a paused queue's jobs in its wait list, so 'waiting' includes them.
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
  return {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    completed: counts.completed ?? 0,
  };
}

/** True when no job is waiting, running or scheduled for a retry: the queue has drained. */
export function isDrained(stats: QueueStats): boolean {
  return stats.waiting === 0 && stats.active === 0 && stats.delayed === 0;
}

/**
 * The job at the head of the wait list (BullMQ adds on the left and takes from the right) and the
 * Redis clock: two reads whatever the backlog. KEYS[1] = wait list; ARGV[1] = the job key prefix.
 */
const HEAD_OF_WAIT: RedisScript = {
  name: 'vectorizerHeadOfWait',
  lua: `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local id = redis.call('LINDEX', KEYS[1], -1)
if not id then return { now } end
local fields = redis.call('HMGET', ARGV[1] .. id, 'timestamp', 'processedOn', 'delay')
return { now, fields[1] or '', fields[2] or '', fields[3] or '' }`,
};

/**
 * Seconds the next job to run has been waiting; 0 when nothing waits. It became runnable when it was
 * added, or, after an attempt (a retry's backoff, a postponement), when its delay after that attempt
 * ended. `redis` is a connection to the queue's Redis. A dead letter put back by `dlq retry` counts from when it was first added (BullMQ forgets
 * its attempts), so its age overstates until it runs.
 */
export async function oldestWaitingAgeSeconds(queue: Queue, redis: Redis): Promise<number> {
  const reply = (await runScript(redis, HEAD_OF_WAIT, [queue.toKey('wait')], [queue.toKey('')])) as (number | string)[];
  const now = Number(reply[0]);
  if (reply.length < 2) return 0;
  const created = Number(reply[1]) || now;
  const processedOn = Number(reply[2]) || 0;
  const delay = Number(reply[3]) || 0;
  const readyAt = (processedOn > 0 ? processedOn : created) + delay;
  return Math.max(0, now - readyAt) / 1000;
}
