import type { EnqueueTarget } from '@vectorizer/queue';
import type { ProductInput, ProductsRepository } from '@vectorizer/store';
import { enqueueNeedingEmbedding, type EnqueueNeedingResult } from './enqueue-needing-embedding';
import { QueueWindow } from './queue-window';

/** What intake needs from the products table. */
export type IntakeProductsStore = Pick<ProductsRepository, 'upsertMany' | 'streamNeedingEmbedding'>;

export interface IntakeDeps {
  products: IntakeProductsStore;
  queue: EnqueueTarget;
  /** QUEUE_WINDOW: jobs at most pending in Redis, the rest stay pending in Postgres (0 = no window). */
  queueWindow: number;
  /** The model whose embedding each product needs. */
  model: string;
}

export interface IntakeResult extends EnqueueNeedingResult {
  /** Valid products handed in and upserted (a product listed twice counts twice). */
  accepted: number;
  /** Products that were new or changed in Postgres. */
  changed: number;
}

/**
 * The one way products arrive, whatever the loader (catalog file, HTTP, TypeScript API): upsert
 * them into Postgres (the source of truth), then ask Postgres which of them still need an embedding
 * for `model` (missing, or made from another image_url) and enqueue exactly those, within the queue
 * window. Idempotent: handing in the same products again changes nothing and enqueues nothing new.
 */
export async function intakeProducts(products: readonly ProductInput[], deps: IntakeDeps): Promise<IntakeResult> {
  // Step 1: Postgres. Everything after this may fail and be redone by a reconcile; this may not.
  const changed = await deps.products.upsertMany([...products]);
  // Step 2: the queue. Only products Postgres says still need an embedding get a job, while the window has room.
  const queued = await enqueueNeedingEmbedding(
    products.map((product) => product.id),
    {
      products: deps.products,
      window: new QueueWindow(deps.queue, deps.queueWindow, deps.products),
      model: deps.model,
    },
  );
  return { accepted: products.length, changed, ...queued };
}
