import { writeFile, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '@vectorizer/logger';
import type { Registry } from 'prom-client';
import type { WorkerState } from './embed-worker';

/** What the API's /readyz and `doctor` read from `${prefix}:workers:${workerId}`. */
export interface WorkerHeartbeatRecord {
  workerId: string;
  pid: number;
  host: string;
  device: string;
  provider: string;
  model: string;
  dimension: number;
  batchSize: number;
  concurrency: number;
  startedAt: string;
  updatedAt: string;
  state: 'running' | 'paused' | 'draining';
}

export interface WorkerHeartbeatOptions {
  redis: Redis;
  prefix: string;
  identity: Omit<WorkerHeartbeatRecord, 'pid' | 'host' | 'startedAt' | 'updatedAt' | 'state'>;
  state: () => WorkerState;
  /** Published as JSON (getMetricsAsJSON) for the API to aggregate. */
  registry: Registry;
  /** `vectorizer worker --health` reads it: { ok, model, updatedAt }. */
  healthFile: string;
  logger: Logger;
  intervalMs?: number;
  heartbeatTtlMs?: number;
  metricsTtlMs?: number;
}

export const heartbeatKey = (prefix: string, workerId: string): string => `${prefix}:workers:${workerId}`;
export const metricsKey = (prefix: string, workerId: string): string => `${prefix}:metrics:${workerId}`;

/**
 * Tells the rest of the system this worker is alive: the heartbeat key and the metrics snapshot in
 * Redis (both expire on their own when the process dies) and the local health file. Start it only
 * after the self-test passed, so a live heartbeat always means "can embed".
 */
export class WorkerHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly options: WorkerHeartbeatOptions) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beating = this.beat();
    }, this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Stops beating and removes the heartbeat key, so the worker disappears from /readyz at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    const { redis, prefix, identity, logger } = this.options;
    await redis.del(heartbeatKey(prefix, identity.workerId)).catch((error: unknown) => {
      logger.debug({ err: error }, 'could not remove the heartbeat key; it expires by itself');
    });
  }

  private async beat(): Promise<void> {
    const { redis, prefix, identity, registry, healthFile, logger } = this.options;
    const state = this.options.state();
    const updatedAt = new Date().toISOString();
    const record: WorkerHeartbeatRecord = {
      ...identity,
      pid: process.pid,
      host: hostname(),
      startedAt: this.startedAt,
      updatedAt,
      state: state === 'paused' ? 'paused' : state === 'draining' || state === 'closed' ? 'draining' : 'running',
    };
    try {
      const snapshot = JSON.stringify(await registry.getMetricsAsJSON());
      await redis
        .multi()
        .set(
          heartbeatKey(prefix, identity.workerId),
          JSON.stringify(record),
          'PX',
          this.options.heartbeatTtlMs ?? 20_000,
        )
        .set(metricsKey(prefix, identity.workerId), snapshot, 'PX', this.options.metricsTtlMs ?? 30_000)
        .exec();
    } catch (error) {
      logger.warn({ err: error }, 'could not write the worker heartbeat to Redis');
    }
    try {
      // Write-then-rename: a reader never sees a half-written file.
      const temporary = `${healthFile}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify({ ok: state !== 'paused', model: identity.model, updatedAt }));
      await rename(temporary, healthFile);
    } catch (error) {
      logger.warn({ err: error, healthFile }, 'could not write the worker health file');
    }
  }
}
