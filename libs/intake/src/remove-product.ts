import { jobIdFor, type EnqueueTarget } from '@vectorizer/queue';
import type { ProductsRepository } from '@vectorizer/store';

export interface RemoveProductDeps {
  products: Pick<ProductsRepository, 'delete'>;
  queue: EnqueueTarget;
  model: string;
}

/**
 * Deletes a product and its vectors (every model's: the rows cascade), and drops its job for
 * `model` if one still waits, so no worker fetches an image nobody needs. A job already running
 * finds the product gone and writes nothing. Returns false when there was no such product.
 */
export async function removeProduct(id: string, deps: RemoveProductDeps): Promise<boolean> {
  const removed = await deps.products.delete(id);
  if (removed === undefined) return false;
  // 0 when the job is absent or locked by a worker: both are fine (see above).
  await deps.queue.queue.remove(jobIdFor(id, removed.imageUrl, deps.model));
  return true;
}
