import { Registry, collectDefaultMetrics } from 'prom-client';

export interface RegistryOptions {
  /** Labels put on every series of this registry, e.g. { worker: 'gpu0-1234' } or { worker: 'api' }. */
  labels?: Record<string, string>;
  /** Adds prom-client's process metrics (CPU, memory, event-loop lag, GC). */
  collectDefaults?: boolean;
}

/**
 * A private registry per process role, never prom-client's global one: the API aggregates the
 * workers' registries with its own, and a shared global would count series twice in one process.
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.collectDefaults) {
    collectDefaultMetrics({ register: registry, prefix: 'vectorizer_' });
  }
  return registry;
}
