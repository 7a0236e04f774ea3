/**
 * The default duplicate threshold, chosen from the catalog itself: a fixed cosine cut means nothing
 * across models (the random-weight dev model puts every nearest neighbour above 0.97; a real SigLIP
 * export puts distinct products near 0.8). What every model shares is the shape of the
 * nearest-neighbour similarities: ordinary products form a dense bulk, and duplicates (the same
 * photo, re-encoded or resized) form a separate cluster near 1 above it.
 *
 * Rule: sort each product's nearest-neighbour similarity; among the gaps between consecutive values
 * whose upper end lies at or above the median, take the widest one, and cut in its middle. The bulk
 * is dense around its median, so its own gaps are narrow; the widest break at or above the median is
 * where the duplicate cluster starts. Counting from the median keeps the sparse lower tail (products
 * with no close neighbour) out of the choice, and still works when more than half of the catalog is
 * duplicated (the median is then inside the duplicate cluster and the break below it still
 * qualifies). No such gap (fewer than two distinct values) means identical vectors only.
 */

/** Similarity of vectors that are the same up to float rounding (pgvector computes in float4). */
export const IDENTICAL_SIMILARITY = 1 - 1e-6;

export interface SimilarityDistribution {
  /** Products with at least one neighbour. */
  count: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  p95: number;
  max: number;
}

export interface ThresholdChoice {
  threshold: number;
  /** `widest-gap`: cut inside `gap`; `identical-only`: no break in the distribution, only identical vectors. */
  rule: 'widest-gap' | 'identical-only';
  /** The break the cut lies in: the highest similarity below it and the lowest at or above it. */
  gap?: { below: number; above: number };
  /** Products whose nearest neighbour is at or above the threshold. */
  productsAbove: number;
  distribution: SimilarityDistribution;
}

function quantile(sorted: number[], q: number): number {
  // Linear interpolation between closest ranks (numpy's default), so small catalogs get exact medians.
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export function describeDistribution(sorted: number[]): SimilarityDistribution {
  return {
    count: sorted.length,
    min: sorted[0],
    p25: quantile(sorted, 0.25),
    median: quantile(sorted, 0.5),
    p75: quantile(sorted, 0.75),
    p95: quantile(sorted, 0.95),
    max: sorted[sorted.length - 1],
  };
}

/** Picks the threshold from every product's nearest-neighbour similarity (see the rule above). */
export function chooseDuplicateThreshold(nearestSimilarities: readonly number[]): ThresholdChoice {
  const sorted = nearestSimilarities.filter((score) => Number.isFinite(score)).sort((a, b) => a - b);
  if (sorted.length === 0) {
    return {
      threshold: IDENTICAL_SIMILARITY,
      rule: 'identical-only',
      productsAbove: 0,
      distribution: {
        count: 0,
        min: Number.NaN,
        p25: Number.NaN,
        median: Number.NaN,
        p75: Number.NaN,
        p95: Number.NaN,
        max: Number.NaN,
      },
    };
  }
  const distribution = describeDistribution(sorted);
  let widest: { below: number; above: number } | undefined;
  for (let i = 1; i < sorted.length; i += 1) {
    const below = sorted[i - 1];
    const above = sorted[i];
    if (above < distribution.median || above === below) continue;
    if (!widest || above - below > widest.above - widest.below) widest = { below, above };
  }
  const threshold = widest ? (widest.below + widest.above) / 2 : IDENTICAL_SIMILARITY;
  return {
    threshold,
    rule: widest ? 'widest-gap' : 'identical-only',
    ...(widest ? { gap: widest } : {}),
    productsAbove: sorted.filter((score) => score >= threshold).length,
    distribution,
  };
}
