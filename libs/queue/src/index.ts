export { EMBED_QUEUE, DEFAULT_QUEUE_PREFIX } from './queue-names';
export {
  RedisUnavailableError,
  RedisAuthFailedError,
  describeRedisFailure,
  InvalidJobPayloadError,
  redactUrl,
} from './errors';
export {
  createWorkerConnection,
  connectForCommand,
  createRedisProbe,
  type CommandConnectionOptions,
} from './connection';
export { jobPayloadSchema, parseJobPayload, jobIdFor, type JobPayload } from './job-payload';
export {
  backoffOptions,
  embedJobOptions,
  DEFAULT_RETENTION,
  retentionFromSettings,
  type RetryPolicy,
  type RetentionPolicy,
} from './job-options';
export { createEmbedQueue, type EmbedQueue, type QueueConnection } from './embed-queue';
export {
  enqueueProducts,
  Producer,
  DEFAULT_ENQUEUE_CHUNK_SIZE,
  type ProductToEmbed,
  type EnqueueResult,
  type EnqueueTarget,
} from './producer';
export { parseFailedReason, deadLetterOf, STALLED_CODE, UNEXPECTED_CODE, type DeadLetter } from './dead-letter-entry';
export { DeadLetters, type RetryResult } from './dead-letters';
export { getQueueStats, isDrained, type QueueStats } from './queue-stats';
export {
  WorkerRegistry,
  workerRegistryKeys,
  workerHeartbeatSchema,
  type WorkerHeartbeatRecord,
  type WorkerMetricsSnapshot,
} from './worker-registry';
