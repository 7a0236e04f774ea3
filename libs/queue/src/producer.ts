import type { Redis } from 'ioredis';
import { startLinkedTrace } from '@vectorizer/telemetry';
import type { EmbedQueue } from './embed-queue';
import { jobIdFor, type JobPayload } from './job-payload';
import { runScript, type RedisScript } from './redis-script';

export interface ProductToEmbed {
  id: string;
  imageUrl: string;
}

export interface EnqueueResult {
  /** Jobs newly added to the queue. */
  enqueued: number;
  /**
   * Products whose job with the same id is still pending (waiting, delayed, active), so nothing was
   * added for them. A finished job kept under that id (a dead letter, or a completed job kept for
   * the dashboard) is replaced by a fresh one and counts as enqueued.
   */
  alreadyQueued: number;
}

/**
 * For each job id: 0 = no such job, 1 = pending (waiting, delayed, active, prioritized),
 * 2 = failed (a dead letter), 3 = completed and kept. One command instead of a pipeline of 1000 (which
 * costs more client CPU than the adds). KEYS[1..2] are the failed and completed sets, the rest job
 * hashes; all share the queue's hash tag, so this is Redis-Cluster safe.
 */
const JOB_STATES: RedisScript = {
  name: 'vectorizerJobStates',
  lua: `local states = {}
for i = 3, #KEYS do
  local id = ARGV[i - 2]
  if redis.call('EXISTS', KEYS[i]) == 0 then states[i - 2] = 0
  elseif redis.call('ZSCORE', KEYS[1], id) then states[i - 2] = 2
  elseif redis.call('ZSCORE', KEYS[2], id) then states[i - 2] = 3
  else states[i - 2] = 1 end
end
return states`,
};

const ABSENT = 0;
const FAILED = 2;
const COMPLETED = 3;

/** addBulk is one MULTI per call; 1000 jobs keep each round trip short and memory flat. */
export const DEFAULT_ENQUEUE_CHUNK_SIZE = 1_000;

export interface EnqueueTarget {
  queue: EmbedQueue;
  /** The connection the queue was created with; runs the job-state check. */
  connection: Redis;
}

/**
 * Adds one `embed` job per product. Ids are deterministic (jobIdFor), so enqueueing a product whose
 * job is still pending is a no-op. The state check before addBulk serves the counts and replaces
 * finished jobs; a race with a concurrent producer can shift one job between `enqueued` and
 * `alreadyQueued`, never duplicate it, because BullMQ itself ignores an add whose id exists.
 */
export async function enqueueProducts(
  { queue, connection }: EnqueueTarget,
  products: readonly ProductToEmbed[],
  model: string,
  options: {
    chunkSize?: number;
    now?: () => Date;
    /**
     * Leave a product whose job is a dead letter alone instead of replacing it (the periodic
     * reconcile: a broken image would otherwise be retried every pass; `dlq retry` is for that).
     * Such a product counts as already queued.
     */
    keepDeadLetters?: boolean;
    /**
     * Asked, after the job-state check, with the products about to get a job; returns those that
     * still need one. Intake passes a Postgres re-check: a product read as "needing an embedding"
     * whose job then completed and was trimmed from the kept completed jobs (QUEUE_KEEP_COMPLETED_*)
     * looks absent here, but its vector is already stored, and a worker stores the vector before its
     * job completes, so a re-check made after the state check sees it; and a kept completed job is
     * replaced only when its product's vector is really missing. Dropped products count as already queued.
     */
    stillNeeded?: (products: readonly ProductToEmbed[]) => Promise<readonly ProductToEmbed[]>;
  } = {},
): Promise<EnqueueResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_ENQUEUE_CHUNK_SIZE;
  const now = options.now ?? (() => new Date());
  const result: EnqueueResult = { enqueued: 0, alreadyQueued: 0 };
  for (let start = 0; start < products.length; start += chunkSize) {
    const chunk = uniqueByJobId(products.slice(start, start + chunkSize), model);
    const ids = chunk.map(({ jobId }) => jobId);
    const keys = [queue.toKey('failed'), queue.toKey('completed'), ...ids.map((id) => queue.toKey(id))];
    const states = (await runScript(connection, JOB_STATES, keys, ids)) as number[];
    // A finished job kept for inspection must not block a new attempt (BullMQ ignores an add whose id
    // exists): the product is missing its embedding again, e.g. the row was lost or deleted.
    const replaces = (state: number | undefined) =>
      state === COMPLETED || (state === FAILED && !options.keepDeadLetters);
    let fresh = chunk
      .map((entry, index) => ({ ...entry, replacing: replaces(states[index]) }))
      .filter(({ replacing }, index) => states[index] === ABSENT || replacing);
    if (options.stillNeeded && fresh.length > 0) {
      const needed = new Set((await options.stillNeeded(fresh.map(({ product }) => product))).map(productKey));
      fresh = fresh.filter(({ product }) => needed.has(productKey(product)));
    }
    result.alreadyQueued += products.slice(start, start + chunkSize).length - fresh.length;
    if (fresh.length === 0) continue;
    for (const { jobId, replacing } of fresh) if (replacing) await queue.remove(jobId);
    const enqueuedAt = now().toISOString();
    // With tracing on, each product's job starts a trace of its own (linked to the caller's span),
    // carried in the job's telemetry metadata to the worker that runs it.
    const traces = fresh.map(({ product }) =>
      startLinkedTrace('vectorizer.enqueue', { 'vectorizer.product_id': product.id, 'vectorizer.model': model }),
    );
    try {
      await queue.addBulk(
        // Typed here; the worker validates what it reads back from Redis (parseJobPayload).
        fresh.map(({ jobId, product }, index) => {
          const data: JobPayload = { productId: product.id, imageUrl: product.imageUrl, model, enqueuedAt };
          const metadata = traces[index]?.metadata;
          return { name: 'embed' as const, data, opts: metadata ? { jobId, telemetry: { metadata } } : { jobId } };
        }),
      );
    } finally {
      for (const span of traces) span?.end();
    }
    result.enqueued += fresh.length;
  }
  return result;
}

const productKey = (product: ProductToEmbed): string => `${product.id}\u0000${product.imageUrl}`;

/** A chunk may list one product twice (a catalog with a repeated line); one job is enough. */
function uniqueByJobId(
  products: readonly ProductToEmbed[],
  model: string,
): { jobId: string; product: ProductToEmbed }[] {
  const byId = new Map<string, ProductToEmbed>();
  for (const product of products) byId.set(jobIdFor(product.id, product.imageUrl, model), product);
  return [...byId].map(([jobId, product]) => ({ jobId, product }));
}
