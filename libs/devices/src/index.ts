export type { GpuInfo } from './gpu';
export { discoverGpus, parseNvidiaSmiCsv, GpuDiscoveryError, type DiscoverGpusOptions } from './discover-gpus';
export { filterVisibleGpus, hidesAllGpus } from './cuda-visible-devices';
export { estimateActivationBytesPerImage, type VisionTowerShape } from './activation-estimate';
export {
  planWorkers,
  batchSizeFor,
  concurrencyFor,
  MAX_BATCH_SIZE,
  CPU_BATCH_SIZE,
  WEIGHTS_OVERHEAD_FACTOR,
  DECODE_PREFETCH_JOBS,
  type WorkerPlan,
  type PlanOptions,
} from './worker-plan';
export {
  detectHostCores,
  cgroupQuotaCores,
  systemProbe,
  type HostCores,
  type HostProbe,
  type CoresSource,
} from './host-cores';
export {
  planThreads,
  planWorkerThreads,
  inferenceKindOf,
  UV_THREADS_BESIDE_DECODE,
  type ThreadPlan,
  type ThreadPlanOptions,
} from './thread-plan';
export { FEED_CORE_MS_PER_PRODUCT, feedRateFor, coresToFeed } from './feed-cost';
