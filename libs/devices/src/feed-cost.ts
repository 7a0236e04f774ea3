/**
 * CPU time the worker spends per product beside inference: fetch, JPEG decode, resize, normalize,
 * queue round trips and the pgvector upsert, in core-milliseconds.
 *
 * Where 13.3 comes from: `npm run bench -- --quick` (bench:feed) on the quiet 2-core dev machine
 * (2 Dec 2026, after the JS JPEG header read and the 1/2-scale JPEG decode), a near-zero-cost
 * 384-px SigLIP-shaped dev model on 1000×1000 JPEGs, the worker's marginal CPU per product (median
 * of 3 rounds of 128 after 64, inference subtracted): 13.29 and 11.15 core-ms in two runs (sharp's
 * fastest decode-and-resize of the same files: 9.86 and 8.2). The higher figure is kept, so plans
 * err towards more cores. Photos larger than 1000×1000 cost more to decode, smaller ones less.
 */
export const FEED_CORE_MS_PER_PRODUCT = 13.3;

/** Products per second `cores` cores can feed at `coreMsPerProduct` each. */
export function feedRateFor(cores: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return (cores * 1000) / coreMsPerProduct;
}

/** Cores needed to feed `productsPerSecond` (e.g. a GPU's img/s for a model) at `coreMsPerProduct` each. */
export function coresToFeed(productsPerSecond: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return Math.ceil((productsPerSecond * coreMsPerProduct) / 1000);
}
