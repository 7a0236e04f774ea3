import type { Counter, Gauge, Registry } from 'prom-client';
import { metricsIn } from './metric-factory';

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
  const metric = metricsIn(registry);
  return {
    queueJobs: metric.gauge('queueJobs', 'Jobs per queue and state (waiting, active, delayed, failed, completed)', [
      'queue',
      'state',
    ]),
    liveWorkers: metric.gauge('liveWorkers', 'Worker processes with a fresh heartbeat, per device', ['device']),
    workerStarts: metric.counter(
      'workerStarts',
      'Worker processes started, per device (a worker restarted by the supervisor counts again)',
      ['device'],
    ),
    queueOldestWaiting: metric.gauge(
      'queueOldestWaiting',
      'Seconds the next job to run has been waiting (0 when none waits); read from the head of the wait list',
      ['queue'],
    ),
    pendingInPostgres: metric.gauge(
      'pendingInPostgres',
      'Products whose embedding is missing or stale and that no job holds: left in Postgres by the queue window (counted at most once a minute)',
    ),
    deadLetters: metric.gauge('deadLetters', "Dead-lettered jobs (the embed queue's failed set)"),
    modelInfo: metric.gauge(
      'modelInfo',
      'The model this API searches with (1): dev_model="true" is the generated random-weight model, production is NODE_ENV',
      ['model', 'dev_model', 'production'],
    ),
    sourceUp: metric.gauge(
      'metricsSourceUp',
      'Whether the last scrape read the source in time (1) or not (0): queue, workers',
      ['source'],
    ),
  };
}
