import type { AttributeFilter, ExactOptions, HnswOptions, KnnQuery, SearchHit } from '@vectorizer/store';
import type { SearchMetrics } from '@vectorizer/telemetry';

/** How a search was answered: every matching row scored (`exact`), or through the HNSW index. */
export type KnnStrategy = 'exact' | 'hnsw';

/** The queries the planner chooses between (SearchRepository in @vectorizer/store). */
export interface KnnStore {
  nearestHnsw(query: KnnQuery, model: string, options: HnswOptions): Promise<SearchHit[]>;
  nearestExact(query: KnnQuery, model: string, options: ExactOptions): Promise<SearchHit[]>;
  countMatching(filter: AttributeFilter, atMost: number): Promise<number>;
}

/**
 * Candidates per result a filtered HNSW scan fetches before the exact re-rank (relaxed order): more
 * gains recall only where the exact path answers anyway (docs/search.md).
 */
const DEFAULT_FILTERED_FETCH_FACTOR = 1;
/** How long a filter's size is trusted: catalogs change slowly; a stale size only moves the plan. */
export const DEFAULT_ESTIMATE_TTL_MS = 60_000;
const MAX_CACHED_ESTIMATES = 1_024;

export interface KnnPlannerOptions {
  /** hnsw.ef_search of every HNSW scan (SEARCH_EF_SEARCH). */
  efSearch: number;
  /**
   * Filters keeping at most this many products are scored exactly (SEARCH_EXACT_MAX_ROWS): below it the
   * filtered HNSW scan loses recall while the exact path is still fast (docs/search.md has the table).
   */
  exactMaxRows: number;
  filteredFetchFactor?: number;
  estimateTtlMs?: number;
  metrics?: SearchMetrics;
  now?: () => number;
}

export interface PlannedSearch {
  strategy: KnnStrategy;
  hits: SearchHit[];
}

/**
 * The kNN planner. A graph walk that drops candidates failing a filter finds the first k that pass
 * in the order it meets them, not the k nearest. So, per search: no filter → HNSW. A filter → how many products it keeps
 * (counted through the GIN index up to the threshold, remembered for a minute): at most
 * `exactMaxRows` → score them all (recall 1.0); more → the HNSW scan in relaxed order with
 * over-fetch and an exact re-rank, where a broad filter discards few candidates.
 */
export class KnnPlanner {
  private readonly estimates = new Map<string, { count: number; at: number }>();
  private readonly exactMaxRows: number;
  private readonly fetchFactor: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: KnnStore,
    private readonly options: KnnPlannerOptions,
  ) {
    this.exactMaxRows = options.exactMaxRows;
    this.fetchFactor = options.filteredFetchFactor ?? DEFAULT_FILTERED_FETCH_FACTOR;
    this.ttlMs = options.estimateTtlMs ?? DEFAULT_ESTIMATE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async search(query: KnnQuery, model: string, k: number, filter?: AttributeFilter): Promise<PlannedSearch> {
    const strategy = await this.plan(filter);
    const hits =
      strategy === 'exact'
        ? await this.store.nearestExact(query, model, { k, filter })
        : await this.store.nearestHnsw(query, model, {
            k,
            efSearch: this.options.efSearch,
            filter,
            fetch: filter === undefined ? k : k * this.fetchFactor,
          });
    this.options.metrics?.strategy.inc({ strategy });
    return { strategy, hits };
  }

  /** The strategy a search with this filter takes. */
  async plan(filter?: AttributeFilter): Promise<KnnStrategy> {
    if (filter === undefined || Object.keys(filter).length === 0) return 'hnsw';
    const matching = await this.estimate(filter);
    return matching <= this.exactMaxRows ? 'exact' : 'hnsw';
  }

  /** Products the filter keeps, counted up to exactMaxRows + 1 (enough to decide). */
  private async estimate(filter: AttributeFilter): Promise<number> {
    const key = JSON.stringify(Object.entries(filter).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const now = this.now();
    const cached = this.estimates.get(key);
    if (cached && now - cached.at < this.ttlMs) return cached.count;
    const count = await this.store.countMatching(filter, this.exactMaxRows + 1);
    this.estimates.delete(key);
    this.estimates.set(key, { count, at: now });
    // Oldest first in a Map: drop it when full.
    if (this.estimates.size > MAX_CACHED_ESTIMATES) this.estimates.delete(this.estimates.keys().next().value as string);
    return count;
  }
}
