export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
export { EmbedWorker, type EmbedWorkerOptions, type WorkerState, type CloseResult } from './embed-worker';
export { WorkerHeartbeat, type WorkerHeartbeatOptions, type WorkerHeartbeatRecord } from './worker-heartbeat';
export { classifyFailure, type Failure, type FailureAction } from './failure-policy';
export { isConnectionError } from './connection-errors';
export { DependencyUnavailableError, JobModelMismatchError, type Dependency } from './errors';
export type { PixelEmbedder, EmbeddingWriter } from './embed-batch';
export type { ImageSource, PreparedImage } from './prepare-image';
