export { Runtime, devModelNotice, type QueueServices } from './runtime';
export { workerPlans } from './worker-plans';
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
