import { readWorkerHeartbeats, scanKeys } from '@vectorizer/health';
import type { Logger } from '@vectorizer/logger';
import { getQueueStats } from '@vectorizer/queue';
import { createQueueMetrics, createRegistry } from '@vectorizer/telemetry';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

type MetricSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export interface MetricsCollectorOptions {
  redis: Redis;
  queuePrefix: string;
  queues: readonly Queue[];
  logger: Logger;
}

/**
 * GET /metrics: the API's own process metrics and queue gauges (set from Redis at scrape time,
 * so they are never stale) merged with each worker's last published snapshot
 * (`${prefix}:metrics:${workerId}`, 30 s TTL, so dead workers drop out by themselves).
 */
export class MetricsCollector {
  private readonly registry: Registry;
  private readonly queueMetrics;

  constructor(private readonly options: MetricsCollectorOptions) {
    this.registry = createRegistry({ labels: { worker: 'api' }, collectDefaults: true });
    this.queueMetrics = createQueueMetrics(this.registry);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    await this.refreshQueueGauges();
    const snapshots = [...(await this.readWorkerSnapshots()), await this.registry.getMetricsAsJSON()];
    return AggregatorRegistry.aggregate(snapshots as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  }

  private async refreshQueueGauges(): Promise<void> {
    const { queueJobs, liveWorkers } = this.queueMetrics;
    const stats = await Promise.all(
      this.options.queues.map(async (queue) => ({ queue: queue.name, stats: await getQueueStats(queue) })),
    );
    queueJobs.reset();
    for (const { queue, stats: counts } of stats) {
      for (const [state, value] of Object.entries(counts)) queueJobs.set({ queue, state }, value);
    }
    const workers = await readWorkerHeartbeats(this.options.redis, this.options.queuePrefix);
    liveWorkers.reset();
    const perDevice = new Map<string, number>();
    for (const worker of workers) perDevice.set(worker.device, (perDevice.get(worker.device) ?? 0) + 1);
    for (const [device, count] of perDevice) liveWorkers.set({ device }, count);
  }

  private async readWorkerSnapshots(): Promise<MetricSnapshot[]> {
    const keys = (await scanKeys(this.options.redis, `${this.options.queuePrefix}:metrics:*`)).sort();
    if (keys.length === 0) return [];
    const values = await this.options.redis.mget(...keys);
    const snapshots: MetricSnapshot[] = [];
    values.forEach((value, index) => {
      if (value === null) return;
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed)) snapshots.push(parsed as MetricSnapshot);
      } catch (error) {
        // One worker's garbled snapshot must not take the whole scrape down.
        this.options.logger.warn({ key: keys[index], err: error }, 'skipping unreadable worker metrics snapshot');
      }
    });
    return snapshots;
  }
}
