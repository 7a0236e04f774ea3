import type { ProductInput } from '@vectorizer/store';
import type { RecordResult } from './catalog-record';
import { intake, type IntakeDeps } from './intake';
import { addCounts, emptyIntakeResult, type IntakeResult } from './intake-result';

export interface ItemError {
  /** The item's position: array index, or 0-based line of an NDJSON body. */
  index: number;
  error: string;
}

export interface ItemsIntakeResult extends IntakeResult {
  /** Every rejected item, in order; the valid ones were taken in. */
  errors: ItemError[];
}

/** Products per intake call, as in ingest: bounds each round trip to Postgres and Redis. */
export const ITEMS_PER_INTAKE_CALL = 1_000;

/**
 * Takes in already validated items (an HTTP body, a TypeScript loader's records): the valid ones go
 * through intake in order, the rejected ones are reported by index. A bad item never stops the others.
 */
export async function intakeItems(
  items: Iterable<{ index: number; result: RecordResult }>,
  deps: IntakeDeps,
): Promise<ItemsIntakeResult> {
  const total: ItemsIntakeResult = { ...emptyIntakeResult(), errors: [] };
  let chunk: ProductInput[] = [];
  const flush = async () => {
    addCounts(total, await intake({ upsert: chunk }, deps));
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
