import type { BackoffOptions, JobsOptions } from 'bullmq';

export interface RetryPolicy {
  /** Total tries per job (JOB_ATTEMPTS). */
  attempts: number;
  /** First retry delay; doubles each attempt (JOB_BACKOFF_MS). */
  backoffMs: number;
}

/**
 * Exponential backoff with 50 % jitter (BullMQ's built-in `jitter`): after an outage every failed
 * job would otherwise retry at the same instant and hit the recovered service as one wave.
 */
export function backoffOptions(policy: RetryPolicy): BackoffOptions {
  return { type: 'exponential', delay: policy.backoffMs, jitter: 0.5 };
}

/**
 * Options of every `embed` job.
 * - removeOnComplete: true — a completed job kept in Redis would keep its id and make BullMQ ignore
 *   a later add of the same (product, image, model), e.g. re-embedding after the embeddings table
 *   was restored from an older backup. Postgres is the record of what was embedded, not Redis.
 * - removeOnFail: false — failed jobs stay visible (and retryable) in Bull Board; the dead-letter
 *   queue holds their cause.
 */
export function embedJobOptions(policy: RetryPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: backoffOptions(policy),
    removeOnComplete: true,
    removeOnFail: false,
  };
}
