export { EMBED_QUEUE } from './queue-names';
export { InvalidJobPayloadError } from './errors';
export {
  createWorkerConnection,
  connectForCommand,
  createRedisProbe,
  type CommandConnectionOptions,
} from './connection';
export { parseJobPayload, jobIdFor, jobPayloadJsonSchema, jobPayloadSchema, type JobPayload } from './job-payload';
export { embedBackoffStrategy, retentionFromSettings, type RetryPolicy, type RetentionPolicy } from './job-options';
export { createEmbedQueue, type EmbedQueue, type QueueConnection } from './embed-queue';
export { enqueueProducts, type ProductToEmbed, type EnqueueResult, type EnqueueTarget } from './producer';
export { parseFailedReason, type DeadLetter } from './dead-letter-entry';
export { readJobStatus, type JobState, type JobStatus } from './job-status';
export { DeadLetters, type RetryResult } from './dead-letters';
export { getQueueStats, isDrained, oldestWaitingAgeSeconds, type QueueStats } from './queue-stats';
export {
  WorkerRegistry,
  workerRegistryKeys,
  type WorkerHeartbeatRecord,
  type WorkerRegistryEntry,
} from './worker-registry';
export { runScript, type RedisScript } from './redis-script';
