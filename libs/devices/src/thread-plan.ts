import { FEED_CORE_MS_PER_PRODUCT, feedRateFor } from './feed-cost';
import { detectHostCores, systemProbe, type CoresSource, type HostCores, type HostProbe } from './host-cores';

/**
 * How one worker process uses its cores. Decided once, from the cores this host lets us use and how
 * many workers share them; the supervisor puts uvThreadpoolSize in the child's environment (libuv
 * reads UV_THREADPOOL_SIZE once, when its pool first starts), the worker applies the rest.
 */
export interface ThreadPlan {
  /** Cores this worker may keep busy: the host's cores, or its share on a multi-GPU host. */
  cores: number;
  hostCores: number;
  coresSource: CoresSource;
  /** Workers sharing the host's cores (one per GPU, or the single CPU worker). */
  workersOnHost: number;
  /** ONNX Runtime intra-op threads. */
  inferenceThreads: number;
  inferenceThreadsSource: 'plan' | 'INFERENCE_THREADS';
  /** ONNX Runtime inter-op threads: 1, graphs run sequentially (a vision tower has no parallel branches). */
  interOpThreads: number;
  /** Images decoded at once: sharp runs each on a libuv pool thread. */
  decodeThreads: number;
  /** libvips threads per image (sharp.concurrency): 1, parallelism comes from decoding several images. */
  sharpConcurrency: number;
  /** UV_THREADPOOL_SIZE: the decode threads plus room so dns.lookup and fs never queue behind decodes. */
  uvThreadpoolSize: number;
  /** GPU workers: products/s this worker's cores can fetch, decode and store (FEED_CORE_MS_PER_PRODUCT each). */
  feedRatePerSecond?: number;
  feedCoreMsPerProduct?: number;
}

export interface ThreadPlanOptions {
  host: HostCores;
  /** Workers started on this host: the GPU count, or 1 for a CPU worker. */
  workersOnHost: number;
  /** Whether inference runs on a GPU (the CPU then only feeds it) or on the CPU. */
  inference: 'cpu' | 'gpu';
  /** INFERENCE_THREADS: replaces the planned ONNX Runtime intra-op threads. */
  inferenceThreadsOverride?: number;
  /** Per-product CPU cost used for the GPU feed-rate prediction. */
  feedCoreMsPerProduct?: number;
}

/** Pool threads kept beyond the decode threads for dns.lookup, fs and zlib work. */
export const UV_THREADS_BESIDE_DECODE = 2;
/** libuv's own default; the pool never shrinks below it. */
const UV_DEFAULT_THREADPOOL_SIZE = 4;
/** ORT's CPU threads on a GPU worker only run the few ops the CUDA provider leaves on the CPU. */
const GPU_WORKER_INFERENCE_THREADS = 1;

/**
 * CPU worker: ONNX Runtime gets every core (inference is the bulk of the work; left to pick its own
 * count inside a worker thread it uses one), and decodes use every core too: they run in the gaps
 * between batches, so reserving a core for them only idles it.
 * GPU worker: its share is host cores ÷ GPUs; one core stays with the event loop (fetch, Redis,
 * Postgres), the rest decode.
 * The embedder runs a planned ORT thread count with spinning off (idle ORT threads sleep), since
 * those threads share the cores with decoding.
 */
export function planThreads(options: ThreadPlanOptions): ThreadPlan {
  const workersOnHost = Math.max(1, options.workersOnHost);
  const cores = Math.max(1, Math.floor(options.host.cores / workersOnHost));
  const gpu = options.inference === 'gpu';
  const planned = gpu ? GPU_WORKER_INFERENCE_THREADS : cores;
  const decodeThreads = gpu ? Math.max(1, cores - 1) : cores;
  const feedCoreMsPerProduct = options.feedCoreMsPerProduct ?? FEED_CORE_MS_PER_PRODUCT;
  return {
    cores,
    hostCores: options.host.cores,
    coresSource: options.host.source,
    workersOnHost,
    inferenceThreads: options.inferenceThreadsOverride ?? planned,
    inferenceThreadsSource: options.inferenceThreadsOverride === undefined ? 'plan' : 'INFERENCE_THREADS',
    interOpThreads: 1,
    decodeThreads,
    sharpConcurrency: 1,
    uvThreadpoolSize: Math.max(UV_DEFAULT_THREADPOOL_SIZE, decodeThreads + UV_THREADS_BESIDE_DECODE),
    ...(gpu ? { feedRatePerSecond: Math.round(feedRateFor(cores, feedCoreMsPerProduct)), feedCoreMsPerProduct } : {}),
  };
}

/**
 * A device string as the kind of inference it plans for: CUDA devices are GPUs; "auto" plans for
 * the CPU (a lone worker may end up there; supervised ones get "cuda:0" or "cpu"), and so does
 * "webgpu", which the supervisor plans as a CPU-side worker too.
 */
export function inferenceKindOf(device: string): 'cpu' | 'gpu' {
  return device.startsWith('cuda') ? 'gpu' : 'cpu';
}

export interface WorkerThreadOptions {
  /** VECTORIZER_DEVICE of this worker. */
  device: string;
  /** WORKER_CORES: this worker's share, set by the supervisor; unset = the whole host. */
  assignedCores?: number;
  /** INFERENCE_THREADS. */
  inferenceThreads?: number;
  probe?: HostProbe;
}

/** The plan a worker process applies at start: its assigned cores (or the host's) for its device. */
export function planWorkerThreads(options: WorkerThreadOptions): ThreadPlan {
  return planThreads({
    host: detectHostCores(options.probe ?? systemProbe, options.assignedCores),
    workersOnHost: 1,
    inference: inferenceKindOf(options.device),
    inferenceThreadsOverride: options.inferenceThreads,
  });
}
