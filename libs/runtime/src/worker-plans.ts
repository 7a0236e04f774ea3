import { detectHostCores, discoverGpus, planWorkers, type GpuInfo, type WorkerPlan } from '@vectorizer/devices';
import { VectorizerError } from '@vectorizer/errors';
import { modelFootprint } from '@vectorizer/supervisor';
import type { Runtime } from './runtime';

/**
 * One plan per worker process on this host. VECTORIZER_DEVICE picks the devices: auto (every
 * visible GPU, else CPU), cuda (every GPU), cuda:N, cpu, webgpu; batches are sized from each GPU's
 * free VRAM and the configured model's footprint unless BATCH_SIZE says otherwise.
 */
export async function workerPlans(runtime: Runtime, cores?: number): Promise<WorkerPlan[]> {
  const { config, logger } = runtime;
  const requested = config.VECTORIZER_DEVICE;
  const sizing = {
    reserveMb: config.GPU_MEMORY_RESERVE_MB,
    batchSizeOverride: config.BATCH_SIZE,
    concurrencyOverride: config.WORKER_CONCURRENCY,
    host: detectHostCores(undefined, cores ?? config.WORKER_CORES),
    inferenceThreadsOverride: config.INFERENCE_THREADS,
  };
  if (requested === 'cpu' || requested === 'webgpu') {
    return planWorkers([], { ...sizing, modelBytes: 0, activationBytesPerImage: 1 }).map((plan) =>
      withDevice(plan, requested),
    );
  }
  let gpus: GpuInfo[] = await discoverGpus({
    nvidiaSmiPath: config.NVIDIA_SMI_PATH,
    cudaVisibleDevices: config.CUDA_VISIBLE_DEVICES,
  });
  const index = /^cuda:(\d+)$/.exec(requested)?.[1];
  if (index !== undefined) gpus = gpus.filter((gpu) => gpu.index === Number(index));
  if (gpus.length === 0 && requested !== 'auto') {
    if (!config.ALLOW_CPU_FALLBACK) {
      throw new VectorizerError(
        'NO_GPU',
        `VECTORIZER_DEVICE=${requested} but ${index === undefined ? 'no GPU is visible' : `GPU ${index} is not visible`} (nvidia-smi: ${config.NVIDIA_SMI_PATH}, CUDA_VISIBLE_DEVICES=${config.CUDA_VISIBLE_DEVICES ?? 'unset'})`,
        {
          hint:
            'check `nvidia-smi` and CUDA_VISIBLE_DEVICES; in a container, install the NVIDIA Container Toolkit on the host ' +
            'and pass the GPUs through (`docker run --gpus all`; compose reserves them under deploy.resources), or run ' +
            'CPU workers (VECTORIZER_DEVICE=cpu, the compose profile workers-cpu); ALLOW_CPU_FALLBACK=true accepts CPU',
        },
      );
    }
    logger.warn({ requested }, 'no GPU visible: falling back to one CPU worker (ALLOW_CPU_FALLBACK=true)');
  }
  if (gpus.length === 0 || config.BATCH_SIZE !== undefined) {
    return planWorkers(gpus, { ...sizing, modelBytes: 0, activationBytesPerImage: 1 });
  }
  const footprint = await modelFootprint(await runtime.model());
  logger.info({ ...footprint, reserveMb: config.GPU_MEMORY_RESERVE_MB }, 'sizing batches from free VRAM');
  return planWorkers(gpus, { ...sizing, ...footprint });
}

function withDevice(plan: WorkerPlan, device: string): WorkerPlan {
  return { ...plan, device, env: { ...plan.env, VECTORIZER_DEVICE: device } };
}
