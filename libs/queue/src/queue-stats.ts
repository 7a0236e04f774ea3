import type { Queue } from 'bullmq';

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
