import type { Job } from 'bullmq';
import { meaningOf, type ErrorCode } from '@vectorizer/errors';
import { jobPayloadSchema, type JobPayload } from './job-payload';

/** Code of a failed job whose reason BullMQ wrote itself: its workers died holding it too often. */
export const STALLED_CODE: ErrorCode = 'JOB_STALLED';
/** Code of a failed job whose reason names no code (a bug, or a foreign worker). */
export const UNEXPECTED_CODE: ErrorCode = 'UNEXPECTED_ERROR';

/** `<CODE>: <message>`, the form the pipeline fails jobs with. */
const CODED_REASON = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/;
/** BullMQ's own reasons for failing a job whose workers kept dying (maxStalledCount, maxStartedAttempts). */
const STALLED_REASON = /^job (stalled|started) more than allowable limit/;

/** The code and message of a failed job's `failedReason`. */
export function parseFailedReason(failedReason: string | undefined | null): { code: string; message: string } {
  const reason = failedReason ?? '';
  const coded = CODED_REASON.exec(reason);
  if (coded) return { code: coded[1], message: coded[2] };
  if (STALLED_REASON.test(reason)) return { code: STALLED_CODE, message: reason };
  return { code: UNEXPECTED_CODE, message: reason === '' ? 'failed without a reason' : reason };
}

/** One dead-lettered job: a job in the embed queue's failed set, read for an operator. */
export interface DeadLetter {
  jobId: string;
  /** Stable error code, e.g. FETCH_NOT_FOUND, JOB_STALLED. */
  code: string;
  reason: string;
  /** The registry's fix for the code, when it has one. */
  hint?: string;
  attemptsMade: number;
  /** When the job was first added. */
  createdAt: string;
  /** When it failed for good. */
  failedAt?: string;
  /** The job's payload; undefined when its data is not a valid payload (INVALID_JOB_PAYLOAD). */
  payload?: JobPayload;
}

export function deadLetterOf(
  job: Pick<Job, 'id' | 'failedReason' | 'data' | 'attemptsMade' | 'timestamp' | 'finishedOn'>,
): DeadLetter {
  const { code, message } = parseFailedReason(job.failedReason);
  const payload = jobPayloadSchema.safeParse(job.data);
  const hint = meaningOf(code).hint;
  return {
    jobId: String(job.id),
    code,
    reason: message,
    ...(hint === undefined ? {} : { hint }),
    attemptsMade: job.attemptsMade,
    createdAt: new Date(job.timestamp).toISOString(),
    ...(job.finishedOn ? { failedAt: new Date(job.finishedOn).toISOString() } : {}),
    ...(payload.success ? { payload: payload.data } : {}),
  };
}
