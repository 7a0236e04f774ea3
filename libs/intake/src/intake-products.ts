import { enqueueProducts, type EnqueueTarget } from '@vectorizer/queue';
import type { ProductInput, ProductsRepository } from '@vectorizer/store';

/** What intake needs from the products table. */
export type IntakeProductsStore = Pick<ProductsRepository, 'upsertMany' | 'streamNeedingEmbedding'>;

export interface IntakeDeps {
  products: IntakeProductsStore;
  queue: EnqueueTarget;
  /** The model whose embedding each product needs. */
  model: string;
}

export interface IntakeResult {
  /** Valid products handed in and upserted (a product listed twice counts twice). */
  accepted: number;
  /** Products that were new or changed in Postgres. */
  changed: number;
  /** Jobs added for products whose embedding is missing or stale. */
  enqueued: number;
  /** Products needing an embedding whose job is still pending (waiting, delayed or active). */
  alreadyQueued: number;
}

/**
 * The one way products arrive, whatever the loader (catalog file, HTTP, TypeScript API): upsert
 * them into Postgres (the source of truth), then ask Postgres which of them still need an embedding
 * for `model` (missing, or made from another image_url) and enqueue exactly those. Idempotent:
 * handing in the same products again changes nothing and enqueues nothing new.
 */
export async function intakeProducts(products: readonly ProductInput[], deps: IntakeDeps): Promise<IntakeResult> {
  // Step 1: Postgres. Everything after this may fail and be redone by a reconcile; this may not.
  const changed = await deps.products.upsertMany([...products]);
  // Step 2: the queue. Only products Postgres says still need an embedding get a job.
  const queued = await enqueueNeedingEmbedding(products, deps);
  return { accepted: products.length, changed, ...queued };
}

async function enqueueNeedingEmbedding(
  products: readonly ProductInput[],
  deps: IntakeDeps,
): Promise<Pick<IntakeResult, 'enqueued' | 'alreadyQueued'>> {
  const ids = [...new Set(products.map((product) => product.id))];
  if (ids.length === 0) return { enqueued: 0, alreadyQueued: 0 };
  const needing: { id: string; imageUrl: string }[] = [];
  for await (const page of deps.products.streamNeedingEmbedding(deps.model, { ids, batchSize: ids.length }))
    needing.push(...page);
  const result = await enqueueProducts(deps.queue, needing, deps.model);
  return { enqueued: result.added, alreadyQueued: result.skipped };
}
