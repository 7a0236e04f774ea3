export { Runtime, devModelNotice, type QueueServices } from './runtime';
export { workerPlans } from './worker-plans';
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
