import type { Counter, Registry } from 'prom-client';
import { metricsIn } from './metric-factory';

export interface SearchMetrics {
  /** kNN searches by the strategy the planner chose: `exact` (a selective filter's rows scored) or `hnsw`. */
  strategy: Counter<'strategy'>;
}

export function createSearchMetrics(registry: Registry): SearchMetrics {
  const metric = metricsIn(registry);
  return {
    strategy: metric.counter(
      'searchStrategy',
      'kNN searches by strategy: exact (the rows a selective filter keeps, all scored) or hnsw (the index)',
      ['strategy'],
    ),
  };
}
