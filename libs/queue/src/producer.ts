import type { Redis } from 'ioredis';
import type { EmbedQueue } from './embed-queue';
import { jobIdFor, parseJobPayload, type JobPayload } from './job-payload';

export interface ProductToEmbed {
  id: string;
  imageUrl: string;
}

export interface EnqueueResult {
  /** Jobs newly added to the queue. */
  added: number;
  /**
   * Products that already had a job with the same id in Redis — pending (waiting, active, delayed)
   * or failed and kept for `vectorizer dlq retry` — so nothing was added for them.
   */
  skipped: number;
}

/** addBulk is one MULTI per call; 1000 jobs keep each round trip short and memory flat. */
export const DEFAULT_ENQUEUE_CHUNK_SIZE = 1_000;

/**
 * Adds one `embed` job per product. Ids are deterministic (jobIdFor), so enqueueing a product whose
 * job is still pending is a no-op. The existence check before addBulk only serves the counts: a
 * race with a concurrent producer can shift one job between `added` and `skipped`, never duplicate it,
 * because BullMQ itself ignores an add whose id exists.
 */
export interface EnqueueTarget {
  queue: EmbedQueue;
  /** The connection the queue was created with; used for the existence check pipeline. */
  connection: Redis;
}

export async function enqueueProducts(
  { queue, connection }: EnqueueTarget,
  products: readonly ProductToEmbed[],
  model: string,
  options: { chunkSize?: number; now?: () => Date } = {},
): Promise<EnqueueResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_ENQUEUE_CHUNK_SIZE;
  const now = options.now ?? (() => new Date());
  const result: EnqueueResult = { added: 0, skipped: 0 };
  for (let start = 0; start < products.length; start += chunkSize) {
    const chunk = uniqueByJobId(products.slice(start, start + chunkSize), model);
    const pipeline = connection.pipeline();
    for (const { jobId } of chunk) pipeline.exists(queue.toKey(jobId));
    const exists = (await pipeline.exec()) ?? [];
    const enqueuedAt = now().toISOString();
    const fresh = chunk.filter((_, index) => {
      const [error, found] = exists[index] ?? [null, 0];
      if (error) throw error;
      return found === 0;
    });
    result.skipped += products.slice(start, start + chunkSize).length - fresh.length;
    if (fresh.length === 0) continue;
    await queue.addBulk(
      fresh.map(({ jobId, product }) => {
        const data: JobPayload = parseJobPayload({ productId: product.id, imageUrl: product.imageUrl, model, enqueuedAt });
        return { name: 'embed' as const, data, opts: { jobId } };
      }),
    );
    result.added += fresh.length;
  }
  return result;
}

/** A chunk may list one product twice (a catalog with a repeated line); one job is enough. */
function uniqueByJobId(products: readonly ProductToEmbed[], model: string): { jobId: string; product: ProductToEmbed }[] {
  const byId = new Map<string, ProductToEmbed>();
  for (const product of products) byId.set(jobIdFor(product.id, product.imageUrl, model), product);
  return [...byId].map(([jobId, product]) => ({ jobId, product }));
}

/** The producer side of the embed queue for services that hold a queue for their lifetime. */
export class Producer {
  constructor(
    private readonly target: EnqueueTarget,
    private readonly options: { chunkSize?: number } = {},
  ) {}

  enqueueProducts(products: readonly ProductToEmbed[], model: string): Promise<EnqueueResult> {
    return enqueueProducts(this.target, products, model, this.options);
  }
}
