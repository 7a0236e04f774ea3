/**
 * CPU time the worker spends per product beside inference: fetch, JPEG decode, resize, normalize,
 * queue round trips and the pgvector upsert, in core-milliseconds.
 *
 * Where 17.9 comes from: `npm run bench:feed` on the 2-core dev machine (2 Dec 2026, branch feed),
 * a near-zero-cost 384-px SigLIP-shaped dev model on 1000×1000 JPEGs, the worker's marginal CPU per
 * product (median of 3 rounds of 128 after 64, inference subtracted): 17.94 core-ms after the JS
 * header read and the 1/2-scale JPEG decode, 17.89 for the code before them in the same A/B (both at
 * load ~9 on 2 cores, which inflates CPU time; a quiet run of the code before gave 13.6). sharp's
 * fastest decode-and-resize of the same files cost 7.4 core-ms in that run. Update this constant
 * from bench:feed on a quiet machine. Photos larger than 1000×1000 cost more to decode, smaller ones less.
 */
export const FEED_CORE_MS_PER_PRODUCT = 17.9;

/** Products per second `cores` cores can feed at `coreMsPerProduct` each. */
export function feedRateFor(cores: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return (cores * 1000) / coreMsPerProduct;
}

/** Cores needed to feed `productsPerSecond` (e.g. a GPU's img/s for a model) at `coreMsPerProduct` each. */
export function coresToFeed(productsPerSecond: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return Math.ceil((productsPerSecond * coreMsPerProduct) / 1000);
}
