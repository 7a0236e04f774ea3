import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { FinishedStatus, Job } from 'bullmq';

type JobStatus = Parameters<BullMQAdapter['getJobs']>[0];

/**
 * The board's "retry" (one job or all) calls `job.retry(state)`, which keeps the attempts already
 * made: a dead letter that ran out of attempts would get a single try. This adapter gives it the
 * fresh budget `vectorizer dlq retry` gives, so both retries mean the same thing.
 */
export class FreshBudgetAdapter extends BullMQAdapter {
  override async getJob(id: string): Promise<Job | undefined> {
    const job = await super.getJob(id);
    return job ? withFreshBudget(job) : job;
  }

  override async getJobs(jobStatuses: JobStatus, start?: number, end?: number): Promise<Job[]> {
    return (await super.getJobs(jobStatuses, start, end)).map(withFreshBudget);
  }
}

function withFreshBudget(job: Job): Job {
  const retry = job.retry.bind(job);
  job.retry = (state?: FinishedStatus, opts = {}) =>
    retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true, ...opts });
  return job;
}
