export { EMBED_QUEUE, DEAD_LETTER_QUEUE, DEFAULT_QUEUE_PREFIX } from './queue-names';
export {
  RedisUnavailableError,
  RedisAuthFailedError,
  describeRedisFailure,
  InvalidJobPayloadError,
  redactUrl,
} from './errors';
export { createWorkerConnection, connectForCommand, type CommandConnectionOptions } from './connection';
export { jobPayloadSchema, parseJobPayload, jobIdFor, type JobPayload } from './job-payload';
export { backoffOptions, embedJobOptions, type RetryPolicy } from './job-options';
export { createEmbedQueue, type EmbedQueue, type QueueConnection } from './embed-queue';
export {
  enqueueProducts,
  Producer,
  DEFAULT_ENQUEUE_CHUNK_SIZE,
  type ProductToEmbed,
  type EnqueueResult,
  type EnqueueTarget,
} from './producer';
export { deadLetterEntrySchema, parseDeadLetterEntry, type DeadLetterEntry } from './dead-letter-entry';
export { DeadLetterQueue, type RetryResult } from './dead-letter-queue';
export { getQueueStats, isDrained, type QueueStats } from './queue-stats';
