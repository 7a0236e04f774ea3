import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metric-names';

export interface QueueMetrics {
  /** Set by the API on each scrape from the queue's job counts. */
  queueJobs: Gauge<'queue' | 'state'>;
  /**
   * Set by the API on each scrape from the worker registry: 0 for a device whose workers all stopped,
   * and one series without a device while no worker is known, so "no live worker" reads 0.
   */
  liveWorkers: Gauge<'device'>;
  /** Worker processes started per device, kept in Redis (restarts of one device's worker add up). */
  workerStarts: Counter<'device'>;
  /** Seconds the next job to run has waited (0 when none waits): the queue is not moving when it grows. */
  queueOldestWaiting: Gauge<'queue'>;
  /** Products needing an embedding that no job holds (left in Postgres by the queue window); refreshed every minute. */
  pendingInPostgres: Gauge;
  /** Dead letters: the embed queue's failed jobs (the number `vectorizer dlq list` shows). */
  deadLetters: Gauge;
  /** 1, labelled with the model the API searches with, whether it is the dev model, and whether NODE_ENV is production. */
  modelInfo: Gauge<'model' | 'dev_model' | 'production'>;
  /** 1 when the scrape could read the source (queue counts, worker registry) in time, else 0. */
  sourceUp: Gauge<'source'>;
}

/** The metrics the API sets from Redis when it is scraped (no worker owns them). */
export function createQueueMetrics(registry: Registry): QueueMetrics {
  const registers = [registry];
  return {
    queueJobs: new Gauge({
      name: METRIC_NAMES.queueJobs,
      help: 'Jobs per queue and state (waiting, active, delayed, failed, completed)',
      labelNames: ['queue', 'state'] as const,
      registers,
    }),
    liveWorkers: new Gauge({
      name: METRIC_NAMES.liveWorkers,
      help: 'Worker processes with a fresh heartbeat, per device',
      labelNames: ['device'] as const,
      registers,
    }),
    workerStarts: new Counter({
      name: METRIC_NAMES.workerStarts,
      help: 'Worker processes started, per device (a worker restarted by the supervisor counts again)',
      labelNames: ['device'] as const,
      registers,
    }),
    queueOldestWaiting: new Gauge({
      name: METRIC_NAMES.queueOldestWaiting,
      help: 'Seconds the next job to run has been waiting (0 when none waits); read from the head of the wait list',
      labelNames: ['queue'] as const,
      registers,
    }),
    pendingInPostgres: new Gauge({
      name: METRIC_NAMES.pendingInPostgres,
      help: 'Products whose embedding is missing or stale and that no job holds: left in Postgres by the queue window (counted at most once a minute)',
      registers,
    }),
    deadLetters: new Gauge({
      name: METRIC_NAMES.deadLetters,
      help: "Dead-lettered jobs (the embed queue's failed set)",
      registers,
    }),
    modelInfo: new Gauge({
      name: METRIC_NAMES.modelInfo,
      help: 'The model this API searches with (1): dev_model="true" is the generated random-weight model, production is NODE_ENV',
      labelNames: ['model', 'dev_model', 'production'] as const,
      registers,
    }),
    sourceUp: new Gauge({
      name: METRIC_NAMES.metricsSourceUp,
      help: 'Whether the last scrape read the source in time (1) or not (0): queue, workers',
      labelNames: ['source'] as const,
      registers,
    }),
  };
}
