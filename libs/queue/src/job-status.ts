import type { Queue } from 'bullmq';
import { parseFailedReason } from './dead-letter-entry';

/** BullMQ's job states, as `Job.getState()` names them, plus 'unknown' for a job removed meanwhile. */
export type JobState =
  'waiting' | 'prioritized' | 'waiting-children' | 'active' | 'delayed' | 'completed' | 'failed' | 'unknown';

/** One job, read for an operator: where it is and what its last attempt said. */
export interface JobStatus {
  id: string;
  state: JobState;
  attemptsMade: number;
  /** The attempt budget the job was added with. */
  attempts: number;
  /** Of a failed job, or the last failed attempt of a retrying one. */
  failure?: { code: string; message: string };
  /** A completed job's return value (`embedded`, `reused`, `superseded`). */
  returnValue?: unknown;
  /** A delayed job: when it becomes runnable again (its delayed-set score, ms). */
  nextRunAt?: Date;
}

/** BullMQ keeps the delayed set's score as timestamp × 0x1000 + a sequence number. */
const DELAYED_SCORE_FACTOR = 0x1000;

/** The job with this id and its state, or undefined when the queue holds no such job. */
export async function readJobStatus(queue: Queue, jobId: string): Promise<JobStatus | undefined> {
  const job = await queue.getJob(jobId);
  if (!job) return undefined;
  const state = (await job.getState()) as JobState;
  const status: JobStatus = {
    id: jobId,
    state,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
  };
  if (job.failedReason) status.failure = parseFailedReason(job.failedReason);
  if (state === 'completed') status.returnValue = job.returnvalue;
  if (state === 'delayed') {
    const client = await queue.getBackend().client;
    const score = await client.zscore(queue.toKey('delayed'), jobId);
    if (score !== null) status.nextRunAt = new Date(Math.floor(Number(score) / DELAYED_SCORE_FACTOR));
  }
  return status;
}
