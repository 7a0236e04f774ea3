import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@vectorizer/logger';
import type { Dependency } from './errors';

/** What the guard pauses: a BullMQ Worker, in production. */
export interface PausableConsumer {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): Promise<void>;
}

export interface OutageGuardOptions {
  consumer: PausableConsumer;
  /** Resolves when the dependency answers again, rejects while it does not. */
  probes: Record<Dependency, () => Promise<void>>;
  logger: Logger;
  /** First wait between probes; doubles up to maxProbeIntervalMs. */
  initialProbeIntervalMs?: number;
  maxProbeIntervalMs?: number;
  onPausedChange?: (paused: boolean) => void;
}

/**
 * A circuit breaker around the queue consumer: the first job that finds Postgres or Redis down
 * pauses the consumer, so no further jobs are taken (and none burn attempts) while it is down; a
 * probe loop with backoff resumes it once every failed dependency answers again.
 */
export class OutageGuard {
  private readonly downSet = new Set<Dependency>();
  private probing: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: OutageGuardOptions) {}

  get paused(): boolean {
    return this.downSet.size > 0;
  }

  /** A dependency reported down and not yet answering again, if any. */
  get down(): Dependency | undefined {
    return this.downSet.values().next().value;
  }

  /** Marks the dependency down; pauses the consumer and starts probing unless already doing so. */
  report(dependency: Dependency, cause: unknown): void {
    if (this.closed || this.downSet.has(dependency)) return;
    this.downSet.add(dependency);
    this.options.logger.warn(
      { dependency, err: cause },
      `${dependency} is unavailable: pausing job intake until it answers again`,
    );
    // A running probe loop picks the new dependency up itself.
    if (this.probing) return;
    this.pauseConsumer();
    this.options.onPausedChange?.(true);
    this.probing = this.probeUntilHealthy().finally(() => {
      this.probing = undefined;
    });
  }

  /** Stops probing (shutdown); the consumer is left as it is. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.probing;
  }

  private pauseConsumer(): void {
    // doNotWaitActive: the active jobs are the ones failing right now; waiting for them would hang.
    this.options.consumer
      .pause(true)
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'could not pause job intake'));
  }

  private async probeUntilHealthy(): Promise<void> {
    const { initialProbeIntervalMs = 250, maxProbeIntervalMs = 10_000, logger } = this.options;
    let interval = initialProbeIntervalMs;
    for (;;) {
      while (!this.closed && this.downSet.size > 0) {
        const woken = new AbortController();
        this.wake = () => woken.abort();
        await sleep(interval, undefined, { signal: woken.signal }).catch(() => undefined);
        this.wake = undefined;
        if (this.closed) return;
        for (const dependency of [...this.downSet]) {
          try {
            await this.options.probes[dependency]();
            this.downSet.delete(dependency);
            logger.info({ dependency }, `${dependency} answers again`);
          } catch (error) {
            logger.debug({ dependency, err: error, nextProbeMs: interval }, `${dependency} still unavailable`);
          }
        }
        interval = Math.min(interval * 2, maxProbeIntervalMs);
      }
      if (this.closed) return;
      await this.options.consumer.resume();
      if (this.downSet.size === 0) break;
      // Something was reported down again while we resumed: pause again and keep probing.
      this.pauseConsumer();
    }
    this.options.onPausedChange?.(false);
    logger.info('resuming job intake');
  }
}
