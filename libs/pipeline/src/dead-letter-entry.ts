import type { Job } from 'bullmq';
import { jobPayloadSchema, type DeadLetterEntry } from '@vectorizer/queue';
import type { Failure } from './failure-policy';

/**
 * The dead-letter record of a job's final failure, or undefined when the job data is not a valid
 * payload (the DLQ can only hold retryable payloads; such a job stays in the failed set instead).
 */
export function deadLetterEntryFor(job: Job, failure: Failure, now = new Date()): DeadLetterEntry | undefined {
  const payload = jobPayloadSchema.safeParse(job.data);
  if (!payload.success || job.id === undefined) return undefined;
  return {
    jobId: job.id,
    payload: payload.data,
    code: failure.code,
    reason: failure.message,
    // This attempt is not yet counted by BullMQ when the processor decides.
    attemptsMade: job.attemptsMade + 1,
    failedAt: now.toISOString(),
    firstEnqueuedAt: payload.data.enqueuedAt,
  };
}
