export { METRIC_NAMES, type MetricName } from './metric-names';
export { createRegistry, type RegistryOptions } from './registry';
export { createPipelineMetrics, type PipelineMetrics } from './pipeline-metrics';
export { createQueueMetrics, type QueueMetrics } from './queue-metrics';
export { createSearchMetrics, type SearchMetrics } from './search-metrics';
export {
  activeSpanContext,
  bullmqTelemetry,
  inSpan,
  startLinkedTrace,
  startTracing,
  type Tracing,
  type TracingSettings,
} from './tracing';
