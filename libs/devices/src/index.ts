export type { GpuInfo } from './gpu';
export { discoverGpus, parseNvidiaSmiCsv, GpuDiscoveryError, type DiscoverGpusOptions } from './discover-gpus';
export { filterVisibleGpus, hidesAllGpus } from './cuda-visible-devices';
export { estimateActivationBytesPerImage, type VisionTowerShape } from './activation-estimate';
export {
  planWorkers,
  batchSizeFor,
  MAX_BATCH_SIZE,
  WEIGHTS_OVERHEAD_FACTOR,
  DECODE_PREFETCH_JOBS,
  type WorkerPlan,
  type PlanOptions,
} from './worker-plan';
