import { setTimeout as sleep } from 'node:timers/promises';
import type { ProductToEmbed } from '@vectorizer/queue';
import type { QueueWindow } from './queue-window';

export interface BackfillResult {
  /** Products read from Postgres. */
  selected: number;
  added: number;
  /** Products whose job was pending already, or that no longer needed an embedding. */
  skipped: number;
  /** Products left pending in Postgres because the window was full (only without `reembed`). */
  deferred: number;
}

export interface BackfillOptions {
  window: QueueWindow;
  model: string;
  /**
   * Re-embed products that are up to date (`enqueue --all`, `--ids`). Postgres cannot hold such a
   * product as pending (it needs nothing), so instead of deferring it the backfill waits for room in
   * the window while the workers drain it. Without it (`--missing`), whatever does not fit stays
   * pending in Postgres for the reconcile loop.
   */
  reembed: boolean;
  /** Called each time the backfill finds the window full and waits (reembed only). */
  onWaiting?: (progress: { added: number; pending: number }) => void;
}

/** How often a re-embedding backfill looks for room while the window is full. */
const ROOM_POLL_MS = 500;

/**
 * `vectorizer enqueue`: puts the selected products through the queue window, so a backfill of a
 * 100M-product catalog holds Redis to QUEUE_WINDOW jobs like every other intake path.
 */
export async function backfill(
  pages: AsyncIterable<readonly ProductToEmbed[]>,
  options: BackfillOptions,
): Promise<BackfillResult> {
  const result: BackfillResult = { selected: 0, added: 0, skipped: 0, deferred: 0 };
  let full = false;
  for await (const page of pages) {
    result.selected += page.length;
    // Once the window is full, the rest of a --missing backfill is only counted: it stays in Postgres.
    if (full) {
      result.deferred += page.length;
      continue;
    }
    let rest = page;
    while (rest.length > 0) {
      const enqueued = await options.window.enqueue(rest, options.model, { reembed: options.reembed });
      result.added += enqueued.added;
      result.skipped += enqueued.skipped;
      rest = rest.slice(rest.length - enqueued.deferred);
      if (rest.length === 0) break;
      if (!options.reembed) {
        full = true;
        result.deferred += rest.length;
        break;
      }
      options.onWaiting?.({ added: result.added, pending: rest.length });
      await sleep(ROOM_POLL_MS);
    }
  }
  return result;
}
