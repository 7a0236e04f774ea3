import { performance } from 'node:perf_hooks';

/** The p-th percentile (0–100) of ascending `sorted` samples, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export interface SearchMeasurement {
  /** Milliseconds. */
  p50: number;
  p95: number;
  /** Recall@k against the truth: the share of the true neighbours the searches found. */
  recall: number;
}

/**
 * Runs the first 10 queries once to warm caches and connections, then times each query and scores
 * its hits against `truth[i]` (the i-th query's true neighbour ids).
 */
export async function measureSearch<Q>(
  queries: readonly Q[],
  truth: readonly (readonly string[])[],
  run: (query: Q) => Promise<string[]>,
): Promise<SearchMeasurement> {
  for (const query of queries.slice(0, 10)) await run(query);
  const latencies: number[] = [];
  let found = 0;
  let total = 0;
  for (const [i, query] of queries.entries()) {
    const started = performance.now();
    const hits = await run(query);
    latencies.push(performance.now() - started);
    const expected = new Set(truth[i]);
    found += hits.filter((hit) => expected.has(hit)).length;
    total += expected.size;
  }
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), recall: total === 0 ? 1 : found / total };
}
