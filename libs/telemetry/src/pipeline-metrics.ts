import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricsIn } from './metric-factory';

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
  const metric = metricsIn(registry);
  return {
    jobsCompleted: metric.counter('jobsCompleted', 'Embedding jobs completed (row committed)'),
    jobsFailed: metric.counter(
      'jobsFailed',
      'Failed job attempts by error code; kind is transient (will retry) or permanent',
      ['code', 'kind'],
    ),
    jobsDeadLettered: metric.counter(
      'jobsDeadLettered',
      'Jobs this worker dead-lettered (failed for good), by error code; vectorizer_dead_letters counts all, stalled-out ones included',
      ['code'],
    ),
    jobsPostponed: metric.counter(
      'jobsPostponed',
      'Jobs put back without using an attempt because a dependency (Postgres, Redis) was unavailable',
      ['reason'],
    ),
    jobsSuperseded: metric.counter(
      'jobsSuperseded',
      "Jobs completed without a write: the product's image changed (or it was deleted) while they ran",
    ),
    batchSize: metric.histogram('batchSize', 'Images per inference batch', batchSizeBuckets),
    inferenceDuration: metric.histogram(
      'inferenceDuration',
      'Wall time of one batch through the vision model',
      latencyBuckets,
    ),
    imageFetchDuration: metric.histogram('imageFetchDuration', 'Wall time to download one image', latencyBuckets),
    imageFetchErrors: metric.counter('imageFetchErrors', 'Image fetch or decode failures by error code', ['code']),
    imageDecodeDuration: metric.histogram(
      'imageDecodeDuration',
      'Wall time to decode and preprocess one image',
      latencyBuckets,
    ),
    embeddingsWritten: metric.counter('embeddingsWritten', 'Embedding rows upserted'),
    writeDuration: metric.histogram(
      'writeDuration',
      "Wall time of one batch's multi-row upsert into Postgres (successful writes)",
      latencyBuckets,
    ),
    embeddingsReused: metric.counter(
      'embeddingsReused',
      "Embedding rows written with a vector copied from an identical image's (same sha256 and model), without inference",
    ),
    workerPaused: metric.gauge(
      'workerPaused',
      '1 while this worker has stopped taking jobs because a dependency is unavailable',
    ),
  };
}
