import { writeFile, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '@vectorizer/logger';
import { WorkerRegistry, type WorkerHeartbeatRecord } from '@vectorizer/queue';
import type { Registry } from 'prom-client';
import type { WorkerState } from './embed-worker';

export type { WorkerHeartbeatRecord };

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
  /** How long the registry entry (heartbeat and metrics snapshot alike) lives without a new beat; 20 s. */
  heartbeatTtlMs?: number;
}

/**
 * Tells the rest of the system this worker is alive: its entry in the worker registry (heartbeat
 * and metrics snapshot; it expires on its own when the process dies) and the local health file.
 * Start it only after the self-test passed, so a live heartbeat always means "can embed".
 */
export class WorkerHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();
  private beating: Promise<void> = Promise.resolve();
  private readonly workers: WorkerRegistry;

  constructor(private readonly options: WorkerHeartbeatOptions) {
    this.workers = new WorkerRegistry(options.redis, options.prefix);
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beating = this.beat();
    }, this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /**
   * Stops beating and leaves the live set, so the worker disappears from /readyz at once, with its
   * final metrics snapshot: the counts since the last beat (a drain's last seconds) reach /metrics.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    const { identity, logger, registry } = this.options;
    try {
      const metricsJson = JSON.stringify(await registry.getMetricsAsJSON());
      await this.workers.retire(identity.workerId, { metricsJson });
    } catch (error) {
      logger.debug({ err: error }, 'could not leave the worker registry; the entry expires by itself');
    }
  }

  private failing = false;

  private async beat(): Promise<void> {
    const { identity, registry, healthFile, logger } = this.options;
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
      const metricsJson = JSON.stringify(await registry.getMetricsAsJSON());
      await this.workers.beat(record, { ttlMs: this.options.heartbeatTtlMs ?? 20_000, metricsJson });
      if (this.failing) logger.info('the worker heartbeat reaches Redis again');
      this.failing = false;
    } catch (error) {
      // One line when it starts failing, not one per beat while Redis is away.
      if (this.failing) logger.debug({ err: error }, 'worker heartbeat still not written');
      else logger.warn({ err: error }, 'could not write the worker heartbeat to Redis');
      this.failing = true;
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
