import { setTimeout as sleep } from 'node:timers/promises';
import type { ProductToEmbed } from '@vectorizer/queue';
import { intake, type IntakeDeps } from './intake';
import { addCounts, emptyIntakeResult, type IntakeResult } from './intake-result';

export interface BackfillOptions {
  /**
   * Re-embed products that are up to date (`enqueue --all`, `--ids`). Postgres cannot hold such a
   * product as pending (it needs nothing), so instead of deferring it the backfill waits for room in
   * the window while the workers drain it. Without it (`--missing`), whatever does not fit stays
   * pending in Postgres for the reconcile loop.
   */
  reembed: boolean;
  /** Called each time the backfill finds the window full and waits (reembed only). */
  onWaiting?: (progress: { enqueued: number; pending: number }) => void;
}

/** How often a re-embedding backfill looks for room while the window is full. */
const ROOM_POLL_MS = 500;

/**
 * `vectorizer enqueue`: puts the products selected from Postgres through intake, so a backfill of a
 * 100M-product catalog holds Redis to QUEUE_WINDOW jobs like every other intake path. `accepted`
 * counts the products selected; `alreadyQueued` those whose job was pending already, or that no
 * longer needed an embedding; `deferred` (only without `reembed`) those left pending in Postgres.
 */
export async function backfill(
  pages: AsyncIterable<readonly ProductToEmbed[]>,
  deps: IntakeDeps,
  options: BackfillOptions,
): Promise<IntakeResult> {
  const result = emptyIntakeResult();
  let full = false;
  for await (const page of pages) {
    // Once the window is full, the rest of a --missing backfill is only counted: it stays in Postgres.
    if (full) {
      addCounts(result, { accepted: page.length, deferred: page.length });
      continue;
    }
    addCounts(result, { accepted: page.length });
    let rest = page;
    while (rest.length > 0) {
      const taken = await intake({ selected: rest, reembed: options.reembed }, deps);
      // Deferred products are tried again after a wait (reembed), or counted once below.
      addCounts(result, { enqueued: taken.enqueued, alreadyQueued: taken.alreadyQueued });
      rest = rest.slice(rest.length - taken.deferred);
      if (rest.length === 0) break;
      if (!options.reembed) {
        full = true;
        addCounts(result, { deferred: rest.length });
        break;
      }
      options.onWaiting?.({ enqueued: result.enqueued, pending: rest.length });
      await sleep(ROOM_POLL_MS);
    }
  }
  return result;
}
