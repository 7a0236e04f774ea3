import { Backoffs, type BackoffOptions, type BackoffStrategy, type JobsOptions, type KeepJobs } from 'bullmq';

export interface RetryPolicy {
  /** Total tries per job (JOB_ATTEMPTS). */
  attempts: number;
  /** First retry delay; doubles each attempt (JOB_BACKOFF_MS). */
  backoffMs: number;
}

/** How many finished jobs Redis keeps, and for how long; whichever limit is reached first applies. */
export interface RetentionPolicy {
  /** Completed jobs: Bull Board shows the recent work done (QUEUE_KEEP_COMPLETED_COUNT / _AGE_S). */
  completed: { count: number; ageSeconds: number };
  /** Failed jobs, i.e. the dead letters (QUEUE_KEEP_FAILED_COUNT / _AGE_S). */
  failed: { count: number; ageSeconds: number };
}

/** The defaults of the QUEUE_KEEP_* settings: an hour of recent work; two weeks of dead letters. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  completed: { count: 1_000, ageSeconds: 3_600 },
  failed: { count: 100_000, ageSeconds: 14 * 24 * 3_600 },
};

/** The backoff type of embed jobs; `embedBackoffStrategy` computes it (Workers pass it in their settings). */
const EMBED_BACKOFF_TYPE = 'exponential-or-retry-after';

/**
 * Exponential backoff with 50 % jitter: after an outage every failed job would otherwise retry at
 * the same instant and hit the recovered service as one wave.
 */
export function backoffOptions(policy: RetryPolicy): BackoffOptions {
  return { type: EMBED_BACKOFF_TYPE, delay: policy.backoffMs, jitter: 0.5 };
}

/**
 * BullMQ's custom backoff (Worker `settings.backoffStrategy`): BullMQ's own exponential delay with
 * jitter, or the image server's Retry-After (`retryAfterMs` on the error) when that is longer.
 * Retry-After is weighed here because BullMQ fixes a retry's time when it schedules the retry.
 */
export const embedBackoffStrategy: BackoffStrategy = async (attemptsMade, type, error, job) => {
  const options = job?.opts.backoff;
  const { delay = 0, jitter = 0 } = typeof options === 'object' ? options : { delay: options };
  const exponential = await Backoffs.builtinStrategies.exponential(delay, jitter)(attemptsMade, type, error, job);
  const retryAfterMs = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof retryAfterMs === 'number' && retryAfterMs > exponential ? retryAfterMs : exponential;
};

const keep = ({ count, ageSeconds }: { count: number; ageSeconds: number }): KeepJobs => ({ count, age: ageSeconds });

/**
 * Options of every `embed` job. Finished jobs are trimmed by BullMQ itself when a job finishes
 * (removeOnComplete / removeOnFail with age and count), so Redis stays bounded without a sweeper.
 * A kept completed job does not block re-embedding: the producer replaces a finished job that has
 * the same id (see producer.ts).
 */
export function embedJobOptions(policy: RetryPolicy, retention: RetentionPolicy = DEFAULT_RETENTION): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: backoffOptions(policy),
    removeOnComplete: keep(retention.completed),
    removeOnFail: keep(retention.failed),
  };
}

/** The QUEUE_KEEP_* settings as a RetentionPolicy. */
export function retentionFromSettings(settings: {
  QUEUE_KEEP_COMPLETED_COUNT: number;
  QUEUE_KEEP_COMPLETED_AGE_S: number;
  QUEUE_KEEP_FAILED_COUNT: number;
  QUEUE_KEEP_FAILED_AGE_S: number;
}): RetentionPolicy {
  return {
    completed: { count: settings.QUEUE_KEEP_COMPLETED_COUNT, ageSeconds: settings.QUEUE_KEEP_COMPLETED_AGE_S },
    failed: { count: settings.QUEUE_KEEP_FAILED_COUNT, ageSeconds: settings.QUEUE_KEEP_FAILED_AGE_S },
  };
}
