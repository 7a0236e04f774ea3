import { withDeadline } from '@vectorizer/errors';
import type { Logger } from '@vectorizer/logger';
import { getQueueStats, oldestWaitingAgeSeconds, WorkerRegistry, type WorkerRegistryEntry } from '@vectorizer/queue';
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
  /** The model searches use (config files only); its id and dev flag label vectorizer_model_info. */
  searchModel?: () => Promise<{ id: string; isDevModel: boolean }>;
  /**
   * Products pending in Postgres (`vectorizer status`'s count): a count over the whole catalog, so it
   * runs at most once per `pendingIntervalMs` (60 s), in the background; scrapes serve the last count.
   */
  pendingInPostgres?: () => Promise<number>;
  pendingIntervalMs?: number;
  /** NODE_ENV is production: with the dev model that is an alert. */
  production?: boolean;
  /** Per source (queue counts, worker registry); a slow Redis costs a scrape this long at most. */
  timeoutMs?: number;
  /** The API's own registry (search metrics live there too); a fresh one when left out. */
  registry?: Registry;
}

/** The API process's registry: its process metrics and whatever its routes count. */
export const createApiRegistry = (): Registry => createRegistry({ labels: { worker: 'api' }, collectDefaults: true });

/**
 * GET /metrics: the API's own process metrics and queue gauges (set from Redis at scrape time,
 * so they are never stale) merged with each live worker's last published snapshot, read from the
 * worker registry (no keyspace scan). A stopped worker's final snapshot stays in for the registry's
 * retention, its counters and histograms only (a gauge such as "paused" was true of a process that
 * is gone), so the counts of a drain's last seconds are scraped. Each Redis source has a timeout: a slow or absent source
 * leaves its gauges out and sets vectorizer_metrics_source_up{source} to 0, the scrape still answers.
 */
export class MetricsCollector {
  private readonly registry: Registry;
  private readonly queueMetrics;
  private readonly workers: WorkerRegistry;
  private readonly timeoutMs: number;
  /** Devices this API has seen a worker of: their live-worker count reads 0 once all stop. */
  private readonly knownDevices = new Set<string>();
  private pending?: { value: number; at: number };
  private countingPending?: Promise<void>;

  constructor(private readonly options: MetricsCollectorOptions) {
    this.registry = options.registry ?? createApiRegistry();
    this.queueMetrics = createQueueMetrics(this.registry);
    this.workers = new WorkerRegistry(options.redis, options.queuePrefix);
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  private readonly sourceTimedOut = (): Error => new Error(`no answer within ${this.timeoutMs} ms`);

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    const [, snapshots] = await Promise.all([
      this.refreshQueueGauges(),
      this.readWorkers(),
      this.refreshModelInfo(),
      this.refreshPending(),
    ]);
    const all = [...snapshots, await this.registry.getMetricsAsJSON()];
    return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  }

  private async refreshQueueGauges(): Promise<void> {
    const { queueJobs, queueOldestWaiting, deadLetters, sourceUp } = this.queueMetrics;
    const { queue, redis } = this.options;
    queueJobs.reset();
    queueOldestWaiting.reset();
    deadLetters.reset();
    try {
      const [counts, oldest] = await withDeadline(this.timeoutMs, this.sourceTimedOut, () =>
        Promise.all([getQueueStats(queue), oldestWaitingAgeSeconds(queue, redis)]),
      );
      for (const [state, value] of Object.entries(counts)) queueJobs.set({ queue: queue.name, state }, value);
      queueOldestWaiting.set({ queue: queue.name }, oldest);
      deadLetters.set(counts.failed);
      sourceUp.set({ source: 'queue' }, 1);
    } catch (error) {
      sourceUp.set({ source: 'queue' }, 0);
      this.options.logger.warn({ err: error }, 'metrics: could not read the queue counts; left out of this scrape');
    }
  }

  /** Serves the last count; starts a new one when it is older than the interval (one at a time). */
  private async refreshPending(): Promise<void> {
    const count = this.options.pendingInPostgres;
    if (!count) return;
    const { pendingInPostgres } = this.queueMetrics;
    const interval = this.options.pendingIntervalMs ?? 60_000;
    if ((!this.pending || Date.now() - this.pending.at >= interval) && !this.countingPending) {
      this.countingPending = count()
        .then((value) => {
          this.pending = { value, at: Date.now() };
        })
        .catch((error: unknown) => {
          this.options.logger.warn({ err: error }, 'metrics: could not count the products pending in Postgres');
        })
        .finally(() => {
          this.countingPending = undefined;
        });
    }
    // The first scrape waits for its count (bounded); later ones never wait on Postgres.
    if (!this.pending && this.countingPending)
      await withDeadline(this.timeoutMs, this.sourceTimedOut, this.countingPending).catch(() => undefined);
    pendingInPostgres.reset();
    if (this.pending) pendingInPostgres.set(this.pending.value);
  }

  /** Which model answers searches; left out when it cannot be resolved (the /readyz check says why). */
  private async refreshModelInfo(): Promise<void> {
    const { modelInfo } = this.queueMetrics;
    modelInfo.reset();
    if (!this.options.searchModel) return;
    try {
      const model = await withDeadline(this.timeoutMs, this.sourceTimedOut, this.options.searchModel());
      modelInfo.set(
        { model: model.id, dev_model: String(model.isDevModel), production: String(this.options.production === true) },
        1,
      );
    } catch (error) {
      this.options.logger.debug({ err: error }, 'metrics: the search model could not be resolved; info left out');
    }
  }

  /** Sets the live-worker and start gauges and returns the workers' metrics snapshots (live and stopped). */
  private async readWorkers(): Promise<MetricSnapshot[]> {
    const { liveWorkers, workerStarts, sourceUp } = this.queueMetrics;
    liveWorkers.reset();
    workerStarts.reset();
    let workers: Awaited<ReturnType<WorkerRegistry['workers']>>;
    let raw: WorkerRegistryEntry[];
    let starts: Record<string, number>;
    try {
      [workers, raw, starts] = await withDeadline(this.timeoutMs, this.sourceTimedOut, () =>
        Promise.all([this.workers.workers(), this.workers.metrics(), this.workers.starts()]),
      );
      sourceUp.set({ source: 'workers' }, 1);
    } catch (error) {
      sourceUp.set({ source: 'workers' }, 0);
      this.options.logger.warn({ err: error }, 'metrics: could not read the worker registry; left out of this scrape');
      return [];
    }
    for (const { record } of workers) this.knownDevices.add(record.device);
    for (const device of Object.keys(starts)) this.knownDevices.add(device);
    const perDevice = new Map<string, number>([...this.knownDevices].map((device) => [device, 0]));
    for (const { record, retired } of workers)
      if (!retired) perDevice.set(record.device, (perDevice.get(record.device) ?? 0) + 1);
    // No device known yet (no worker ever started): one unlabelled 0, so alerts compare a number.
    if (perDevice.size === 0) liveWorkers.set(0);
    for (const [device, count] of perDevice) liveWorkers.set({ device }, count);
    for (const [device, count] of Object.entries(starts)) workerStarts.inc({ device }, count);
    const snapshots: MetricSnapshot[] = [];
    for (const { workerId, json, retired } of raw) {
      try {
        const parsed: unknown = JSON.parse(json);
        if (!Array.isArray(parsed)) continue;
        const metrics = parsed as MetricSnapshot;
        snapshots.push(retired ? metrics.filter((metric) => String(metric.type) !== 'gauge') : metrics);
      } catch (error) {
        // One worker's garbled snapshot must not take the whole scrape down.
        this.options.logger.warn({ workerId, err: error }, 'skipping unreadable worker metrics snapshot');
      }
    }
    return snapshots;
  }
}
