/**
 * CPU time the worker spends per product beside inference: fetch, JPEG decode, resize, normalize,
 * queue round trips and the pgvector upsert, in core-milliseconds.
 *
 * Where 17.8 comes from: issue 9's measurement on the 2-core dev machine — a near-zero-cost 384-px
 * SigLIP-shaped dev model on 1000×1000 JPEGs, the worker's marginal CPU per product between runs of
 * 64 and 256 products (so start-up cost cancels). sharp's fastest decode-and-resize of the same
 * files costs 8.9 core-ms; the target is ≤ 1.3 × that (≈ 11.6). `npm run bench:feed` measures it;
 * update this constant from its output when feeding gets cheaper. Photos larger than 1000×1000
 * cost more to decode, smaller ones less.
 */
export const FEED_CORE_MS_PER_PRODUCT = 17.8;

/** Products per second `cores` cores can feed at `coreMsPerProduct` each. */
export function feedRateFor(cores: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return (cores * 1000) / coreMsPerProduct;
}

/** Cores needed to feed `productsPerSecond` (e.g. a GPU's img/s for a model) at `coreMsPerProduct` each. */
export function coresToFeed(productsPerSecond: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return Math.ceil((productsPerSecond * coreMsPerProduct) / 1000);
}
