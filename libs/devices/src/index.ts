export type { GpuInfo } from './gpu';
export { discoverGpus, type DiscoverGpusOptions } from './discover-gpus';
export { estimateActivationBytesPerImage, type VisionTowerShape } from './activation-estimate';
export {
  planWorkers,
  batchSizeFor,
  concurrencyFor,
  CPU_BATCH_SIZE,
  type WorkerPlan,
  type PlanOptions,
} from './worker-plan';
export { detectHostCores, type HostCores, type HostProbe, type CoresSource } from './host-cores';
export { planThreads, planWorkerThreads, type ThreadPlan, type ThreadPlanOptions } from './thread-plan';
export { FEED_CORE_MS_PER_PRODUCT } from './feed-cost';
