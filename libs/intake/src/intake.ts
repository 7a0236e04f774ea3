import type { ProductToEmbed } from '@vectorizer/queue';
import type { ProductInput, ProductsRepository } from '@vectorizer/store';
import { emptyIntakeResult, type IntakeResult } from './intake-result';
import type { QueueWindow } from './queue-window';

/** What intake needs from the products table. */
export type IntakeProductsStore = Pick<ProductsRepository, 'upsertMany' | 'streamNeedingEmbedding'>;

export interface IntakeDeps {
  products: IntakeProductsStore;
  /** The queue window (QUEUE_WINDOW) every producer enqueues through. */
  window: QueueWindow;
  /** The model whose embedding each product needs. */
  model: string;
}

/** How products arrive at intake. */
export type IntakeBatch =
  /** New or changed products (a catalog chunk, HTTP items, loader records): upserted into Postgres first. */
  | { upsert: readonly ProductInput[] }
  /** Products already in Postgres, by id (the listener's notifications). */
  | { ids: readonly string[] }
  /** Products read from Postgres (a backfill's or the reconcile loop's page), enqueued in the order given. */
  | {
      selected: readonly ProductToEmbed[];
      /** Enqueue them even when up to date (`enqueue --all`, `--ids`). */
      reembed?: boolean;
      /** Leave dead letters to `dlq retry` (the reconcile loop). */
      keepDeadLetters?: boolean;
    };

/**
 * The one intake entry, whatever the loader: upsert what is new into Postgres (the source of truth),
 * ask Postgres which of the products still need an embedding for the model (missing, or made from
 * another image_url) and enqueue exactly those within the queue window; what does not fit stays
 * pending in Postgres for the reconcile loop. Idempotent: the same batch again changes nothing and
 * enqueues nothing new.
 */
export async function intake(batch: IntakeBatch, deps: IntakeDeps): Promise<IntakeResult> {
  const result = emptyIntakeResult();
  if ('selected' in batch) {
    const counts = await deps.window.enqueue(batch.selected, deps.model, {
      reembed: batch.reembed,
      keepDeadLetters: batch.keepDeadLetters,
    });
    return { ...result, accepted: batch.selected.length, ...counts };
  }
  // Postgres first. Everything after this may fail and be redone by a reconcile; this may not.
  if ('upsert' in batch) result.changed = await deps.products.upsertMany([...batch.upsert]);
  const handedIn = 'upsert' in batch ? batch.upsert.map((product) => product.id) : batch.ids;
  result.accepted = handedIn.length;
  const ids = [...new Set(handedIn)];
  if (ids.length === 0) return result;
  // A full window is the common case of a big load: not asking Postgres is what keeps it fast, and
  // every product handed in counts as deferred.
  if ((await deps.window.room()) <= 0) return { ...result, deferred: ids.length };
  const needing: ProductToEmbed[] = [];
  for await (const page of deps.products.streamNeedingEmbedding(deps.model, { ids, batchSize: ids.length }))
    needing.push(...page);
  return { ...result, ...(await deps.window.enqueue(needing, deps.model)) };
}
