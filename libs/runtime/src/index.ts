export { Runtime, devModelNotice, type QueueServices } from './runtime';
export { workerPlans } from './worker-plans';
export {
  checkWorkerServices,
  openWorkerProcess,
  startWorkerTracing,
  type WorkerProcessIdentity,
  type WorkerProcessServices,
  type WorkerStopOutcome,
} from './worker-process-services';
export {
  nothingToDrain,
  superviseWorkers,
  workerHealth,
  type WorkerSupervision,
  type WorkerSupervisionOptions,
} from './worker-supervision';
export { spawnApiProcess } from './api-process';
export {
  CatalogService,
  openCatalogFile,
  withCatalog,
  type CatalogFile,
  type CatalogFormat,
  type CatalogServiceDeps,
  type CatalogStatus,
  type EnqueueSelection,
  type IngestFileOptions,
} from './catalog-services';
export { startIntakeWatcher } from './intake-watcher';
export {
  openSearchServices,
  searchServices,
  type OpenSearchServices,
  type SearchServiceParts,
  type SearchServices,
} from './search-services';
export {
  apiServices,
  openApiServices,
  type ApiServiceParts,
  type ApiServices,
  type RunningApiServices,
} from './api-services';
export { MetricsCollector, createApiRegistry, type MetricsCollectorOptions } from './api-metrics-collector';
export { ProductImages, type ProductImage } from './api-product-images';
