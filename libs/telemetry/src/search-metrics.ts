import { Counter, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metric-names';

export interface SearchMetrics {
  /** kNN searches by the strategy the planner chose: `exact` (a selective filter's rows scored) or `hnsw`. */
  strategy: Counter<'strategy'>;
}

export function createSearchMetrics(registry: Registry): SearchMetrics {
  return {
    strategy: new Counter({
      name: METRIC_NAMES.searchStrategy,
      help: 'kNN searches by strategy: exact (the rows a selective filter keeps, all scored) or hnsw (the index)',
      labelNames: ['strategy'] as const,
      registers: [registry],
    }),
  };
}
