import type { ProductInput } from '@vectorizer/store';
import type { RecordResult } from './catalog-record';
import { intakeProducts, type IntakeDeps, type IntakeResult } from './intake-products';

export interface ItemError {
  /** The item's position: array index, or 0-based line of an NDJSON body. */
  index: number;
  error: string;
}

export interface ItemsIntakeResult extends IntakeResult {
  /** Every rejected item, in order; the valid ones were taken in. */
  errors: ItemError[];
}

/** Products per intakeProducts call, as in ingest: bounds each round trip to Postgres and Redis. */
export const ITEMS_PER_INTAKE_CALL = 1_000;

/**
 * Takes in already validated items (an HTTP body, a TypeScript loader's records): the valid ones go
 * through intakeProducts in order, the rejected ones are reported by index. A bad item never stops
 * the others.
 */
export async function intakeItems(
  items: Iterable<{ index: number; result: RecordResult }>,
  deps: IntakeDeps,
): Promise<ItemsIntakeResult> {
  const total: ItemsIntakeResult = { accepted: 0, changed: 0, enqueued: 0, alreadyQueued: 0, deferred: 0, errors: [] };
  let chunk: ProductInput[] = [];
  const flush = async () => {
    const result = await intakeProducts(chunk, deps);
    total.accepted += result.accepted;
    total.changed += result.changed;
    total.enqueued += result.enqueued;
    total.alreadyQueued += result.alreadyQueued;
    total.deferred += result.deferred;
    chunk = [];
  };
  for (const { index, result } of items) {
    if (!result.ok) total.errors.push({ index, error: result.reason });
    else {
      chunk.push(result.product);
      if (chunk.length >= ITEMS_PER_INTAKE_CALL) await flush();
    }
  }
  if (chunk.length > 0) await flush();
  return total;
}
