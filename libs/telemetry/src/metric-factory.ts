import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metric-names';

type MetricKey = keyof typeof METRIC_NAMES;

/**
 * Makes the project's metrics in one registry, each named from METRIC_NAMES by its key, so a
 * metric's definition is its key, its help text and its labels (or buckets), nothing else.
 */
export function metricsIn(registry: Registry) {
  const registers = [registry];
  return {
    counter: <L extends string = never>(key: MetricKey, help: string, labelNames: readonly L[] = []): Counter<L> =>
      new Counter<L>({ name: METRIC_NAMES[key], help, labelNames, registers }),
    gauge: <L extends string = never>(key: MetricKey, help: string, labelNames: readonly L[] = []): Gauge<L> =>
      new Gauge<L>({ name: METRIC_NAMES[key], help, labelNames, registers }),
    histogram: (key: MetricKey, help: string, buckets: number[]): Histogram<never> =>
      new Histogram<never>({ name: METRIC_NAMES[key], help, buckets, registers }),
  };
}
