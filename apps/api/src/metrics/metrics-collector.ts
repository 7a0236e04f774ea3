import { readLiveWorkers } from '@vectorizer/health';
import type { Logger } from '@vectorizer/logger';
import { getQueueStats, WorkerRegistry, type WorkerHeartbeatRecord } from '@vectorizer/queue';
import { createQueueMetrics, createRegistry } from '@vectorizer/telemetry';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

type MetricSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export interface MetricsCollectorOptions {
  redis: Redis;
  queuePrefix: string;
  /** The embed queue: its counts, and its failed count as the dead letters. */
  queue: Queue;
  logger: Logger;
  /** Per source (queue counts, worker registry); a slow Redis costs a scrape this long at most. */
  timeoutMs?: number;
  /** The API's own registry (search metrics live there too); a fresh one when left out. */
  registry?: Registry;
}

/** The API process's registry: its process metrics and whatever its routes count. */
export const createApiRegistry = (): Registry => createRegistry({ labels: { worker: 'api' }, collectDefaults: true });

class SourceTimeoutError extends Error {}

/** Resolves or rejects within `ms`; the work itself is not cancelled (Redis answers eventually). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceTimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * GET /metrics: the API's own process metrics and queue gauges (set from Redis at scrape time,
 * so they are never stale) merged with each live worker's last published snapshot, read from the
 * worker registry (no keyspace scan). Each Redis source has a timeout: a slow or absent source
 * leaves its gauges out and sets vectorizer_metrics_source_up{source} to 0, the scrape still answers.
 */
export class MetricsCollector {
  private readonly registry: Registry;
  private readonly queueMetrics;
  private readonly workers: WorkerRegistry;
  private readonly timeoutMs: number;

  constructor(private readonly options: MetricsCollectorOptions) {
    this.registry = options.registry ?? createApiRegistry();
    this.queueMetrics = createQueueMetrics(this.registry);
    this.workers = new WorkerRegistry(options.redis, options.queuePrefix);
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    const [, snapshots] = await Promise.all([this.refreshQueueGauges(), this.readWorkers()]);
    const all = [...snapshots, await this.registry.getMetricsAsJSON()];
    return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  }

  private async refreshQueueGauges(): Promise<void> {
    const { queueJobs, deadLetters, sourceUp } = this.queueMetrics;
    const { queue } = this.options;
    queueJobs.reset();
    deadLetters.reset();
    try {
      const counts = await within(this.timeoutMs, getQueueStats(queue));
      for (const [state, value] of Object.entries(counts)) queueJobs.set({ queue: queue.name, state }, value);
      deadLetters.set(counts.failed);
      sourceUp.set({ source: 'queue' }, 1);
    } catch (error) {
      sourceUp.set({ source: 'queue' }, 0);
      this.options.logger.warn({ err: error }, 'metrics: could not read the queue counts; left out of this scrape');
    }
  }

  /** Sets the live-worker gauge and returns the live workers' metrics snapshots. */
  private async readWorkers(): Promise<MetricSnapshot[]> {
    const { liveWorkers, sourceUp } = this.queueMetrics;
    liveWorkers.reset();
    let workers: WorkerHeartbeatRecord[];
    let raw: { workerId: string; json: string }[];
    try {
      [workers, raw] = await within(
        this.timeoutMs,
        Promise.all([readLiveWorkers(this.options.redis, this.options.queuePrefix), this.workers.liveMetrics()]),
      );
      sourceUp.set({ source: 'workers' }, 1);
    } catch (error) {
      sourceUp.set({ source: 'workers' }, 0);
      this.options.logger.warn({ err: error }, 'metrics: could not read the worker registry; left out of this scrape');
      return [];
    }
    const perDevice = new Map<string, number>();
    for (const worker of workers) perDevice.set(worker.device, (perDevice.get(worker.device) ?? 0) + 1);
    for (const [device, count] of perDevice) liveWorkers.set({ device }, count);
    const snapshots: MetricSnapshot[] = [];
    for (const { workerId, json } of raw) {
      try {
        const parsed: unknown = JSON.parse(json);
        if (Array.isArray(parsed)) snapshots.push(parsed as MetricSnapshot);
      } catch (error) {
        // One worker's garbled snapshot must not take the whole scrape down.
        this.options.logger.warn({ workerId, err: error }, 'skipping unreadable worker metrics snapshot');
      }
    }
    return snapshots;
  }
}
