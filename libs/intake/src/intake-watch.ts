import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@vectorizer/logger';
import type { EnqueueTarget } from '@vectorizer/queue';
import { ProductsRepository } from '@vectorizer/store';
import type { Pool } from 'pg';
import { intake } from './intake';
import { ProductsListener } from './products-listener';
import { QueueTopUp } from './queue-top-up';
import { QueueWindow } from './queue-window';

/** How often the leader checks the window's room while a backlog waits in Postgres. */
const BACKLOG_POLL_MS = 200;

export interface IntakeWatchOptions {
  databaseUrl: string;
  /** Test schemas; unset: the search_path's. The pool must use the same one. */
  schema?: string;
  pool: Pool;
  queue: EnqueueTarget;
  /** QUEUE_WINDOW (0 = no window). */
  queueWindow: number;
  model: string;
  /** RECONCILE_INTERVAL_MS. */
  reconcileIntervalMs: number;
  logger: Logger;
  /** Leadership poll and reconnect interval of the listener. */
  retryMs?: number;
  probeTimeoutMs?: number;
}

export interface IntakeWatch {
  /** True while this process is the cluster's listener leader. */
  readonly leading: boolean;
  /** Resolves after the reconcile pass in hand (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * `vectorizer watch` (and the worker's parent process unless WATCH=false): the listener enqueues
 * notified products as they come; the leader also runs the reconcile loop, which tops the queue up
 * from Postgres, oldest first, every `reconcileIntervalMs` and whenever the listener asks (it just
 * became leader, or a bulk statement changed too many products to name); while a backlog waits
 * behind a full window, every BACKLOG_POLL_MS.
 *
 * A pass that found nothing to do and read to the end of the table waits at least ten times its
 * own duration before the next full walk, so an idle 100M-product catalog costs Postgres at most a
 * tenth of one core.
 */
export function startIntakeWatch(options: IntakeWatchOptions): IntakeWatch {
  const { logger } = options;
  const products = new ProductsRepository(options.pool);
  const window = new QueueWindow(options.queue, options.queueWindow, products);
  const deps = { products, window, model: options.model };
  const topUp = new QueueTopUp(deps);
  let stopping = false;
  let wake: (() => void) | undefined;
  let requested = false;
  let failing = false;

  const request = (): void => {
    requested = true;
    wake?.();
  };
  const listener = new ProductsListener({
    databaseUrl: options.databaseUrl,
    schema: options.schema,
    logger,
    retryMs: options.retryMs,
    probeTimeoutMs: options.probeTimeoutMs,
    onReconcileNeeded: request,
    onProducts: async (ids) => {
      const result = await intake({ ids }, deps);
      logger.debug(result, 'enqueued notified products');
    },
  });

  const reconcileLoop = async (): Promise<void> => {
    while (!stopping) {
      let pauseMs = options.reconcileIntervalMs;
      if (listener.leading) {
        requested = false;
        const started = Date.now();
        try {
          const result = await topUp.pass();
          if (failing) logger.info('reconcile: PostgreSQL and Redis answer again');
          failing = false;
          if (result.enqueued > 0) logger.debug(result, 'reconcile: topped the queue up from Postgres');
          // A backlog waits behind a full window: check the room often (one Redis round trip)
          // so fast workers never find the queue empty between passes.
          if (!result.reachedEnd) pauseMs = Math.min(pauseMs, BACKLOG_POLL_MS);
          else if (result.enqueued === 0) pauseMs = Math.max(pauseMs, 10 * (Date.now() - started));
        } catch (error) {
          if (!failing) logger.warn({ err: error }, 'reconcile pass failed; retrying every interval');
          failing = true;
        }
      }
      if (stopping || (requested && listener.leading)) continue;
      const woken = new AbortController();
      wake = () => woken.abort();
      await sleep(pauseMs, undefined, { signal: woken.signal }).catch(() => undefined);
      wake = undefined;
    }
  };

  listener.start();
  const looping = reconcileLoop();
  return {
    get leading() {
      return listener.leading;
    },
    async stop() {
      stopping = true;
      wake?.();
      await listener.stop();
      await looping;
    },
  };
}
