import { Job, Queue, type JobType } from 'bullmq';
import { parseDeadLetterEntry, type DeadLetterEntry } from './dead-letter-entry';
import type { EmbedQueue, QueueConnection } from './embed-queue';
import { DEAD_LETTER_QUEUE } from './queue-names';

/** Entry states a dead-letter job can be in: no worker ever takes them, so they stay waiting. */
const PARKED_STATES: JobType[] = ['waiting', 'prioritized', 'delayed'];
const RETRY_PAGE_SIZE = 500;

export interface RetryResult {
  /** How many entries were put back on the main queue (and removed from the dead-letter queue). */
  retried: number;
  /** Requested ids with no dead-letter entry. */
  notFound: string[];
}

/**
 * The dead-letter queue: a BullMQ queue of its own that no worker consumes, so entries are visible
 * in Bull Board and survive until retried or purged. An entry's id is the original job id, so
 * dead-lettering the same job twice keeps one entry.
 */
export class DeadLetterQueue {
  private readonly queue: Queue<DeadLetterEntry, void, 'dead-letter'>;

  constructor(
    options: QueueConnection,
    private readonly embedQueue: EmbedQueue,
  ) {
    this.queue = new Queue<DeadLetterEntry, void, 'dead-letter'>(DEAD_LETTER_QUEUE, {
      connection: options.connection,
      prefix: options.prefix,
      defaultJobOptions: { removeOnComplete: false, removeOnFail: false, attempts: 1 },
    });
    // Connection errors surface on the calls that fail; without a listener BullMQ prints every
    // reconnect attempt during a Redis outage to the console.
    this.queue.on('error', () => undefined);
  }

  async add(entry: DeadLetterEntry): Promise<void> {
    const valid = parseDeadLetterEntry(entry);
    await this.queue.add('dead-letter', valid, { jobId: valid.jobId });
  }

  async count(): Promise<number> {
    return this.queue.getJobCountByTypes(...PARKED_STATES);
  }

  /** Oldest first; `offset`/`limit` page through large queues. */
  async list(options: { offset?: number; limit?: number } = {}): Promise<DeadLetterEntry[]> {
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 100;
    const jobs = await this.queue.getJobs(PARKED_STATES, offset, offset + limit - 1, true);
    return jobs.filter((job) => job !== undefined).map((job) => parseDeadLetterEntry(job.data));
  }

  /**
   * Puts entries back on the main queue with a fresh attempt budget. The failed job kept under the
   * same id in the main queue is removed first: BullMQ would otherwise ignore the add.
   */
  async retry(ids: readonly string[] | 'all'): Promise<RetryResult> {
    const result: RetryResult = { retried: 0, notFound: [] };
    if (ids !== 'all') {
      for (const id of new Set(ids)) {
        const job = await Job.fromId<DeadLetterEntry>(this.queue, id);
        if (!job) {
          result.notFound.push(id);
          continue;
        }
        await this.retryEntry(job);
        result.retried += 1;
      }
      return result;
    }
    // Page from the head: every retried entry leaves the queue, so the next page starts at 0 again
    // and memory stays at one page however many entries there are.
    for (;;) {
      const jobs = (await this.queue.getJobs(PARKED_STATES, 0, RETRY_PAGE_SIZE - 1, true)).filter(
        (job) => job !== undefined,
      );
      if (jobs.length === 0) return result;
      for (const job of jobs) await this.retryEntry(job);
      result.retried += jobs.length;
    }
  }

  /** Deletes every entry; returns how many there were. */
  async purge(): Promise<number> {
    const count = await this.count();
    await this.queue.obliterate({ force: true });
    return count;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private async retryEntry(job: Job<DeadLetterEntry>): Promise<void> {
    await this.requeue(parseDeadLetterEntry(job.data));
    await job.remove();
  }

  private async requeue(entry: DeadLetterEntry): Promise<void> {
    const previous = await Job.fromId(this.embedQueue, entry.jobId);
    if (previous) {
      const state = await previous.getState();
      // A job that is pending again (someone retried it in Bull Board) needs no second copy.
      if (state !== 'failed' && state !== 'completed') return;
      await previous.remove();
    }
    await this.embedQueue.add(
      'embed',
      { ...entry.payload, enqueuedAt: new Date().toISOString() },
      { jobId: entry.jobId },
    );
  }
}
