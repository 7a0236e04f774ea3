import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metric-names';

/** Batch latencies span a tiny CPU model (ms) to a large GPU batch on a slow card (tens of s). */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const batchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export interface PipelineMetrics {
  jobsCompleted: Counter<never>;
  jobsFailed: Counter<'code' | 'kind'>;
  jobsDeadLettered: Counter<'code'>;
  jobsPostponed: Counter<'reason'>;
  jobsSuperseded: Counter<never>;
  batchSize: Histogram<never>;
  inferenceDuration: Histogram<never>;
  imageFetchDuration: Histogram<never>;
  imageFetchErrors: Counter<'code'>;
  imageDecodeDuration: Histogram<never>;
  embeddingsWritten: Counter<never>;
  writeDuration: Histogram<never>;
  embeddingsReused: Counter<never>;
  workerPaused: Gauge<never>;
}

/** The metrics one worker process writes while it embeds. */
export function createPipelineMetrics(registry: Registry): PipelineMetrics {
  const registers = [registry];
  return {
    jobsCompleted: new Counter({
      name: METRIC_NAMES.jobsCompleted,
      help: 'Embedding jobs completed (row committed)',
      registers,
    }),
    jobsFailed: new Counter({
      name: METRIC_NAMES.jobsFailed,
      help: 'Failed job attempts by error code; kind is transient (will retry) or permanent',
      labelNames: ['code', 'kind'] as const,
      registers,
    }),
    jobsDeadLettered: new Counter({
      name: METRIC_NAMES.jobsDeadLettered,
      help: 'Jobs this worker dead-lettered (failed for good), by error code; vectorizer_dead_letters counts all, stalled-out ones included',
      labelNames: ['code'] as const,
      registers,
    }),
    jobsPostponed: new Counter({
      name: METRIC_NAMES.jobsPostponed,
      help: 'Jobs put back without using an attempt because a dependency (Postgres, Redis) was unavailable',
      labelNames: ['reason'] as const,
      registers,
    }),
    jobsSuperseded: new Counter({
      name: METRIC_NAMES.jobsSuperseded,
      help: "Jobs completed without a write: the product's image changed (or it was deleted) while they ran",
      registers,
    }),
    batchSize: new Histogram({
      name: METRIC_NAMES.batchSize,
      help: 'Images per inference batch',
      buckets: batchSizeBuckets,
      registers,
    }),
    inferenceDuration: new Histogram({
      name: METRIC_NAMES.inferenceDuration,
      help: 'Wall time of one batch through the vision model',
      buckets: latencyBuckets,
      registers,
    }),
    imageFetchDuration: new Histogram({
      name: METRIC_NAMES.imageFetchDuration,
      help: 'Wall time to download one image',
      buckets: latencyBuckets,
      registers,
    }),
    imageFetchErrors: new Counter({
      name: METRIC_NAMES.imageFetchErrors,
      help: 'Image fetch or decode failures by error code',
      labelNames: ['code'] as const,
      registers,
    }),
    imageDecodeDuration: new Histogram({
      name: METRIC_NAMES.imageDecodeDuration,
      help: 'Wall time to decode and preprocess one image',
      buckets: latencyBuckets,
      registers,
    }),
    embeddingsWritten: new Counter({
      name: METRIC_NAMES.embeddingsWritten,
      help: 'Embedding rows upserted',
      registers,
    }),
    writeDuration: new Histogram({
      name: METRIC_NAMES.writeDuration,
      help: "Wall time of one batch's multi-row upsert into Postgres (successful writes)",
      buckets: latencyBuckets,
      registers,
    }),
    embeddingsReused: new Counter({
      name: METRIC_NAMES.embeddingsReused,
      help: "Embedding rows written with a vector copied from an identical image's (same sha256 and model), without inference",
      registers,
    }),
    workerPaused: new Gauge({
      name: METRIC_NAMES.workerPaused,
      help: '1 while this worker has stopped taking jobs because a dependency is unavailable',
      registers,
    }),
  };
}
