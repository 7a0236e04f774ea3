import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import {
  enqueueProducts,
  runScript,
  type EnqueueTarget,
  type ProductToEmbed,
  type RedisScript,
} from '@vectorizer/queue';
import type { ProductsRepository } from '@vectorizer/store';
import { addCounts, type QueueCounts } from './intake-result';

/** How long a producer may hold the window; a crashed holder blocks the others at most this long. */
const LOCK_LEASE_MS = 30_000;
const LOCK_RETRY_MS = 10;
const RELEASE_IF_OWNER: RedisScript = {
  name: 'vectorizerReleaseIfOwner',
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
};

/**
 * The bounded queue window: intake keeps at most `size` jobs pending in Redis (waiting, prioritized,
 * delayed, active) — about 1 KB each — and leaves the rest pending in Postgres, where the reconcile
 * loop finds them as the workers drain the queue. Size 0 means no window.
 *
 * Counting and adding run under a short Redis lease (SET NX PX) on the queue's own hash tag, so
 * producers in several processes (file ingest, the listener, the API) never together overshoot it.
 * Just before adding, Postgres is asked again which of the products still need an embedding: the
 * caller's list may be older than a job that completed (and was trimmed from Redis) meanwhile.
 */
export class QueueWindow {
  constructor(
    private readonly target: EnqueueTarget,
    readonly size: number,
    private readonly products: Pick<ProductsRepository, 'streamNeedingEmbedding'>,
  ) {}

  /** Jobs pending in Redis now. */
  async pendingJobs(): Promise<number> {
    const counts = await this.target.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /** Jobs that may still be added now (Infinity without a window); a hint only, taken without the lease. */
  async room(): Promise<number> {
    if (this.size === 0) return Infinity;
    return Math.max(0, this.size - (await this.pendingJobs()));
  }

  /**
   * Enqueues `products` in the order given while the window has room. A product whose job is
   * already pending, or that no longer needs an embedding, takes no room (`alreadyQueued`);
   * everything after the room ran out is `deferred`.
   */
  async enqueue(
    products: readonly ProductToEmbed[],
    model: string,
    options: {
      /** The reconcile loop: leave dead letters to `dlq retry` instead of retrying a broken image every pass. */
      keepDeadLetters?: boolean;
      /**
       * Enqueue the products whether or not Postgres says they need an embedding (`enqueue --all`,
       * `--ids`: re-embed what is up to date). Without it, only products still missing or stale are.
       */
      reembed?: boolean;
    } = {},
  ): Promise<QueueCounts> {
    const enqueueOptions = {
      keepDeadLetters: options.keepDeadLetters,
      stillNeeded: options.reembed ? undefined : this.stillNeeding(model),
    };
    if (this.size === 0)
      return { ...(await enqueueProducts(this.target, products, model, enqueueOptions)), deferred: 0 };
    if (products.length === 0) return { enqueued: 0, alreadyQueued: 0, deferred: 0 };
    return this.whileHoldingLease(async () => {
      const result: QueueCounts = { enqueued: 0, alreadyQueued: 0, deferred: 0 };
      let room = this.size - (await this.pendingJobs());
      let next = 0;
      while (room > 0 && next < products.length) {
        const slice = products.slice(next, next + room);
        next += slice.length;
        const counts = await enqueueProducts(this.target, slice, model, enqueueOptions);
        addCounts(result, counts);
        room -= counts.enqueued;
      }
      result.deferred = products.length - next;
      return result;
    });
  }

  /** The products (id and image_url as given) whose embedding for `model` is still missing or stale. */
  private stillNeeding(model: string) {
    return async (candidates: readonly ProductToEmbed[]): Promise<ProductToEmbed[]> => {
      const current = new Map<string, string>();
      const ids = candidates.map((candidate) => candidate.id);
      for await (const page of this.products.streamNeedingEmbedding(model, { ids, batchSize: ids.length }))
        for (const product of page) current.set(product.id, product.imageUrl);
      return candidates.filter((candidate) => current.get(candidate.id) === candidate.imageUrl);
    };
  }

  private async whileHoldingLease<T>(work: () => Promise<T>): Promise<T> {
    const key = this.target.queue.toKey('window-lease');
    const token = randomBytes(8).toString('hex');
    while ((await this.target.connection.set(key, token, 'PX', LOCK_LEASE_MS, 'NX')) !== 'OK') {
      await sleep(LOCK_RETRY_MS);
    }
    try {
      return await work();
    } finally {
      await runScript(this.target.connection, RELEASE_IF_OWNER, [key], [token]);
    }
  }
}
