import { Gauge, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metric-names';

export interface QueueMetrics {
  /** Set by the API on each scrape from the queue's job counts. */
  queueJobs: Gauge<'queue' | 'state'>;
  /** Set by the API on each scrape from the live worker heartbeats. */
  liveWorkers: Gauge<'device'>;
}

/** The metrics the API sets from Redis when it is scraped (no worker owns them). */
export function createQueueMetrics(registry: Registry): QueueMetrics {
  const registers = [registry];
  return {
    queueJobs: new Gauge({
      name: METRIC_NAMES.queueJobs,
      help: 'Jobs per queue and state (waiting, active, delayed, failed, completed, dead-lettered)',
      labelNames: ['queue', 'state'] as const,
      registers,
    }),
    liveWorkers: new Gauge({
      name: METRIC_NAMES.liveWorkers,
      help: 'Worker processes with a fresh heartbeat, per device',
      labelNames: ['device'] as const,
      registers,
    }),
  };
}
