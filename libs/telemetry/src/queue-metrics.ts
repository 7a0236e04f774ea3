import { Gauge, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metric-names';

export interface QueueMetrics {
  /** Set by the API on each scrape from the queue's job counts. */
  queueJobs: Gauge<'queue' | 'state'>;
  /** Set by the API on each scrape from the worker registry. */
  liveWorkers: Gauge<'device'>;
  /** Dead letters: the embed queue's failed jobs (the number `vectorizer dlq list` shows). */
  deadLetters: Gauge;
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
    deadLetters: new Gauge({
      name: METRIC_NAMES.deadLetters,
      help: "Dead-lettered jobs (the embed queue's failed set)",
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
