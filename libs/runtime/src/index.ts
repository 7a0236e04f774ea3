export { Runtime, type QueueServices } from './runtime';
export { workerPlans } from './worker-plans';
export {
  checkWorkerServices,
  openWorkerProcess,
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
  cachedVerifiedModel,
  downloadModelFiles,
  verifyModelFiles,
  writeDevModel,
  type DownloadedModel,
  type ModelDownloadOptions,
  type ModelVerification,
} from './model-files';
export { migrateAndRegisterModel, registeredModels } from './model-registry';
export { runDoctorChecks, type DoctorReport } from './model-doctor';
export { embedImageInputs, type EmbeddedInput } from './model-embed-inputs';
export {
  openEmbeddingProgress,
  vectorizerScript,
  writeDemo,
  type DemoCatalog,
  type EmbeddingProgress,
} from './model-demo';
export {
  SearchInputError,
  openSearchServices,
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
