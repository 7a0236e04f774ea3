/**
 * What every intake path reports, whatever brought the products (a catalog file, HTTP, the
 * TypeScript loader, the Postgres listener, a backfill or the reconcile loop).
 */
export interface IntakeResult {
  /** Products handed in: upserted, notified or selected from Postgres (a product listed twice counts twice). */
  accepted: number;
  /** Products that were new or changed in Postgres (0 where nothing was upserted). */
  changed: number;
  /** Jobs added for products whose embedding is missing or stale (or, re-embedding, up to date). */
  enqueued: number;
  /**
   * Products whose job was already pending (or, in the reconcile loop, is a dead letter), or that
   * Postgres says no longer need an embedding (their job completed since they were read).
   */
  alreadyQueued: number;
  /**
   * Products left pending in Postgres because the queue window was full; the reconcile loop enqueues
   * them as the workers drain the queue.
   */
  deferred: number;
}

/** The counters the queue window decides. */
export type QueueCounts = Pick<IntakeResult, 'enqueued' | 'alreadyQueued' | 'deferred'>;

const COUNTERS = ['accepted', 'changed', 'enqueued', 'alreadyQueued', 'deferred'] as const;

export function emptyIntakeResult(): IntakeResult {
  return { accepted: 0, changed: 0, enqueued: 0, alreadyQueued: 0, deferred: 0 };
}

/** The one place intake counters are summed: adds each counter `part` has to `total`, and returns `total`. */
export function addCounts<T extends Partial<IntakeResult>>(total: T, part: Partial<IntakeResult>): T {
  const sums: Partial<IntakeResult> = total;
  for (const counter of COUNTERS) {
    const value = part[counter];
    if (value !== undefined) sums[counter] = (sums[counter] ?? 0) + value;
  }
  return total;
}
