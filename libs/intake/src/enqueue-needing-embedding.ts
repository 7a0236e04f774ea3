import type { ProductsRepository } from '@vectorizer/store';
import type { QueueWindow } from './queue-window';

export interface EnqueueNeedingResult {
  /** Jobs added for products whose embedding is missing or stale. */
  enqueued: number;
  /** Products needing an embedding whose job is still pending (waiting, delayed or active). */
  alreadyQueued: number;
  /**
   * Products left pending in Postgres because the queue window was full; the reconcile loop enqueues
   * them as the workers drain the queue. With the window already full, intake does not even ask
   * Postgres which products need an embedding, so this counts every product handed in.
   */
  deferred: number;
}

export interface EnqueueNeedingDeps {
  products: Pick<ProductsRepository, 'streamNeedingEmbedding'>;
  window: QueueWindow;
  /** The model whose embedding each product needs. */
  model: string;
}

/**
 * The enqueue half of every intake path (catalog file, HTTP, the Postgres listener): ask Postgres
 * which of these products still need an embedding for the model (missing, or made from another
 * image_url) and enqueue exactly those, within the queue window.
 */
export async function enqueueNeedingEmbedding(
  productIds: readonly string[],
  deps: EnqueueNeedingDeps,
): Promise<EnqueueNeedingResult> {
  const ids = [...new Set(productIds)];
  if (ids.length === 0) return { enqueued: 0, alreadyQueued: 0, deferred: 0 };
  // A full window is the common case of a big load: skipping the query is what keeps it fast.
  if ((await deps.window.room()) <= 0) return { enqueued: 0, alreadyQueued: 0, deferred: ids.length };
  const needing: { id: string; imageUrl: string }[] = [];
  for await (const page of deps.products.streamNeedingEmbedding(deps.model, { ids, batchSize: ids.length }))
    needing.push(...page);
  const result = await deps.window.enqueue(needing, deps.model);
  return { enqueued: result.added, alreadyQueued: result.skipped, deferred: result.deferred };
}
