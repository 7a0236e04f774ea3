import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { embedJobOptions, type RetentionPolicy, type RetryPolicy } from './job-options';
import type { JobPayload } from './job-payload';
import { EMBED_QUEUE } from './queue-names';

export interface QueueConnection {
  connection: Redis;
  /** QUEUE_PREFIX, e.g. "{vectorizer}". */
  prefix: string;
}

export type EmbedQueue = Queue<JobPayload, void, 'embed'>;

/** The main queue with the project's retry and retention policy as default job options. */
export function createEmbedQueue(
  options: QueueConnection & { retryPolicy: RetryPolicy; retention?: RetentionPolicy },
): EmbedQueue {
  return new Queue<JobPayload, void, 'embed'>(EMBED_QUEUE, {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: embedJobOptions(options.retryPolicy, options.retention),
  });
}
