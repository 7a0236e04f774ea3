/**
 * CPU time the worker spends per product beside inference (fetch, decode, resize, normalize, queue
 * and upsert), in core-milliseconds: the highest `npm run bench:feed` figure, so plans err towards
 * more cores (the measurements: docs/performance.md).
 */
export const FEED_CORE_MS_PER_PRODUCT = 9.1;

/** Products per second `cores` cores can feed at `coreMsPerProduct` each. */
export function feedRateFor(cores: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return (cores * 1000) / coreMsPerProduct;
}
