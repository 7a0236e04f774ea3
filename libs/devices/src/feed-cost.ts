/**
 * CPU time the worker spends per product beside inference: fetch, JPEG decode, resize, normalize,
 * queue round trips and the pgvector upsert, in core-milliseconds.
 *
 * Where 9.1 comes from: `npm run bench:feed` on the 2-core dev machine (2 Dec 2026, after jobs hold
 * 8-bit RGB that the Embedder normalizes straight into the batch input), a near-zero-cost 384-px
 * SigLIP-shaped dev model on 1000×1000 JPEGs, the worker's marginal CPU per product (median of 7
 * rounds of 128 after 64, inference subtracted): 7.22–9.11 core-ms over five runs (sharp's fastest
 * decode-and-resize of the same files, beside each round: about 7–8). The highest figure is kept,
 * so plans err towards more cores. Photos larger than 1000×1000 cost more to decode, smaller ones less.
 */
export const FEED_CORE_MS_PER_PRODUCT = 9.1;

/** Products per second `cores` cores can feed at `coreMsPerProduct` each. */
export function feedRateFor(cores: number, coreMsPerProduct = FEED_CORE_MS_PER_PRODUCT): number {
  return (cores * 1000) / coreMsPerProduct;
}
