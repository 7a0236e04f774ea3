import type { GpuInfo } from './gpu';
import { detectHostCores, type HostCores } from './host-cores';
import { planThreads, type ThreadPlan } from './thread-plan';

export interface WorkerPlan {
  /** The device this worker uses, by nvidia-smi index ("cuda:1") or "cpu" — for people and logs. */
  device: string;
  gpu?: Pick<GpuInfo, 'index' | 'uuid' | 'name' | 'memoryFreeMb' | 'memoryTotalMb'>;
  batchSize: number;
  concurrency: number;
  /** ORT, decode and libuv threads for this worker, from its share of the host's cores. */
  threads: ThreadPlan;
  /**
   * Environment for the worker process. A GPU worker sees exactly its GPU: CUDA_VISIBLE_DEVICES is
   * the GPU's UUID (indices differ between nvidia-smi's PCI order and CUDA's default order; the UUID
   * cannot), so inside the child that GPU is always cuda:0.
   */
  env: Record<string, string>;
}

export interface PlanOptions {
  /** Bytes of the model's weights (the ONNX file plus external data). */
  modelBytes: number;
  /** Activation bytes one image adds to a batch (estimateActivationBytesPerImage or a measurement). */
  activationBytesPerImage: number;
  /** GPU_MEMORY_RESERVE_MB: kept free for the CUDA context, cuDNN workspace and fragmentation. */
  reserveMb: number;
  /** BATCH_SIZE: replaces the computed batch size on every device. */
  batchSizeOverride?: number;
  /** WORKER_CONCURRENCY: replaces the computed job concurrency on every device. */
  concurrencyOverride?: number;
  /** Batch size of the single CPU worker planned when there is no GPU. */
  cpuBatchSize?: number;
  /** The host's usable cores; detected (availableParallelism, cgroup quota) when omitted. */
  host?: HostCores;
  /** INFERENCE_THREADS: replaces the planned ONNX Runtime intra-op threads. */
  inferenceThreadsOverride?: number;
  /** Per-product CPU cost for the GPU feed-rate prediction (FEED_CORE_MS_PER_PRODUCT by default). */
  feedCoreMsPerProduct?: number;
}

export const MAX_BATCH_SIZE = 256;
/** ORT holds the weights once plus about as much again in kernels' prepacked copies and workspace. */
export const WEIGHTS_OVERHEAD_FACTOR = 2;
/** Jobs fetched ahead beyond two batches, so slow downloads do not starve the next batch. */
export const DECODE_PREFETCH_JOBS = 8;
/** The CPU worker's batch: the fastest measured on CPU (activations stay in cache; docs/performance.md). */
export const CPU_BATCH_SIZE = 8;
const MiB = 1024 * 1024;

/**
 * One worker per GPU, sized from its free VRAM:
 *   usable     = free − reserve − modelBytes × WEIGHTS_OVERHEAD_FACTOR
 *   batchSize  = clamp(largest power of two ≤ usable / activationBytesPerImage, 1, 256)
 *   concurrency = batchSize × 2 + DECODE_PREFETCH_JOBS
 * Powers of two because kernels are tuned for them and a batch that barely fits fragments the arena.
 * Concurrency (jobs held at once) is two batches — one running on the GPU while the next one is
 * fetched and decoded — plus a small prefetch allowance for slow downloads.
 * Without a GPU: one CPU worker (batch CPU_BATCH_SIZE).
 * Threads: each GPU worker gets host cores ÷ GPUs (see planThreads); the CPU worker all of them.
 */
export function planWorkers(gpus: readonly GpuInfo[], options: PlanOptions): WorkerPlan[] {
  const host = options.host ?? detectHostCores();
  const threadOptions = {
    host,
    inferenceThreadsOverride: options.inferenceThreadsOverride,
    feedCoreMsPerProduct: options.feedCoreMsPerProduct,
  };
  if (gpus.length === 0) {
    const batchSize = options.batchSizeOverride ?? options.cpuBatchSize ?? CPU_BATCH_SIZE;
    const concurrency = options.concurrencyOverride ?? concurrencyFor(batchSize);
    const threads = planThreads({ ...threadOptions, workersOnHost: 1, inference: 'cpu' });
    return [{ device: 'cpu', batchSize, concurrency, threads, env: workerEnv('cpu', batchSize, concurrency, threads) }];
  }
  const threads = planThreads({ ...threadOptions, workersOnHost: gpus.length, inference: 'gpu' });
  return gpus.map((gpu) => {
    const batchSize = options.batchSizeOverride ?? batchSizeFor(gpu.memoryFreeMb, options);
    const concurrency = options.concurrencyOverride ?? concurrencyFor(batchSize);
    return {
      device: `cuda:${gpu.index}`,
      gpu: {
        index: gpu.index,
        uuid: gpu.uuid,
        name: gpu.name,
        memoryFreeMb: gpu.memoryFreeMb,
        memoryTotalMb: gpu.memoryTotalMb,
      },
      batchSize,
      concurrency,
      threads,
      env: {
        ...workerEnv('cuda:0', batchSize, concurrency, threads),
        CUDA_VISIBLE_DEVICES: gpu.uuid,
        CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      },
    };
  });
}

export function batchSizeFor(
  freeMb: number,
  options: Pick<PlanOptions, 'modelBytes' | 'activationBytesPerImage' | 'reserveMb'>,
): number {
  const usable = (freeMb - options.reserveMb) * MiB - options.modelBytes * WEIGHTS_OVERHEAD_FACTOR;
  const fits = Math.floor(usable / Math.max(1, options.activationBytesPerImage));
  if (fits < 1) return 1;
  return Math.min(MAX_BATCH_SIZE, 2 ** Math.floor(Math.log2(fits)));
}

/** Jobs a worker holds at once for a batch size; the one formula the supervisor and a lone worker share. */
export function concurrencyFor(batchSize: number): number {
  return batchSize * 2 + DECODE_PREFETCH_JOBS;
}

/**
 * WORKER_CORES hands the worker its share, so it plans its threads from that rather than the whole
 * host. UV_THREADPOOL_SIZE is not here: the supervisor sets it unless the operator already has.
 */
function workerEnv(
  device: string,
  batchSize: number,
  concurrency: number,
  threads: ThreadPlan,
): Record<string, string> {
  return {
    VECTORIZER_DEVICE: device,
    BATCH_SIZE: String(batchSize),
    WORKER_CONCURRENCY: String(concurrency),
    WORKER_CORES: String(threads.cores),
  };
}
