export { EmbedWorker, type EmbedWorkerOptions, type WorkerState, type CloseResult } from './embed-worker';
export { WorkerHeartbeat, type WorkerHeartbeatOptions, type WorkerHeartbeatRecord } from './worker-heartbeat';
export type { Dependency } from './errors';
export type { PixelEmbedder, EmbeddingWriter } from './batch-embedder';
export type { ImageSource } from './prepare-image';
