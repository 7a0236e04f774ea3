import { deadLetterOf, type DeadLetter } from './dead-letter-entry';
import type { EmbedQueue } from './embed-queue';

type EmbedJob = NonNullable<Awaited<ReturnType<EmbedQueue['getJob']>>>;

const PAGE_SIZE = 500;
/** What a retry resets: the job gets its whole attempt budget again, as if newly added. */
const FRESH_BUDGET = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;

export interface RetryResult {
  /** How many dead letters went back to `wait`. */
  retried: number;
  /** Requested ids that are not a failed job (unknown, already retried, or pending). */
  notFound: string[];
}

/**
 * The dead letters are the embed queue's FAILED set, nothing else: a job that ran out of attempts,
 * failed permanently, or stalled too often stays there (bounded by removeOnFail), Bull Board shows
 * it in its "failed" tab and can retry it. The failed reason starts with the error code.
 */
export class DeadLetters {
  constructor(private readonly queue: EmbedQueue) {}

  count(): Promise<number> {
    return this.queue.getFailedCount();
  }

  /** Oldest first; `offset`/`limit` page through large sets. */
  async list(options: { offset?: number; limit?: number } = {}): Promise<DeadLetter[]> {
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 100;
    const jobs = await this.queue.getJobs(['failed'], offset, offset + limit - 1, true);
    return jobs.filter((job): job is EmbedJob => !!job).map(deadLetterOf);
  }

  /** Back to `wait` with a fresh attempt budget (BullMQ's job.retry: same id, same data). */
  async retry(ids: readonly string[] | 'all'): Promise<RetryResult> {
    const result: RetryResult = { retried: 0, notFound: [] };
    if (ids !== 'all') {
      for (const id of new Set(ids)) {
        const job = await this.queue.getJob(id);
        if (job && (await this.retryJob(job))) result.retried += 1;
        else result.notFound.push(id);
      }
      return result;
    }
    // A retried job leaves the failed set, so every page starts at the head again; a job that
    // could not be retried (locked by a racing retry) is skipped so the loop always ends.
    const skipped = new Set<string>();
    for (;;) {
      const page = (await this.queue.getJobs(['failed'], 0, PAGE_SIZE - 1 + skipped.size, true)).filter(
        (job): job is EmbedJob => !!job && !skipped.has(String(job.id)),
      );
      if (page.length === 0) return result;
      const outcomes = await Promise.all(page.map((job) => this.retryJob(job)));
      outcomes.forEach((retried, index) => {
        if (retried) result.retried += 1;
        else skipped.add(String(page[index].id));
      });
    }
  }

  /** Deletes every dead letter (their products stay missing until enqueued again); returns how many. */
  async purge(): Promise<number> {
    return (await this.queue.clean(0, 0, 'failed')).length;
  }

  /** False when the job is no longer failed (retried by someone else, or removed meanwhile). */
  private async retryJob(job: EmbedJob): Promise<boolean> {
    try {
      await job.retry('failed', FRESH_BUDGET);
      return true;
    } catch (error) {
      if (await job.isFailed().catch(() => false)) throw error;
      return false;
    }
  }
}
