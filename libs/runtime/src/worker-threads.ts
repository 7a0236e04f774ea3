import sharp from 'sharp';
import { planWorkerThreads, type ThreadPlan } from '@vectorizer/devices';
import type { Runtime } from './runtime';

/**
 * Decides and applies a worker process's threads: sharp's libvips threads now, ONNX Runtime's
 * through the returned plan (Embedder.start's `threads`). UV_THREADPOOL_SIZE cannot be applied here
 * — libuv has read it already — so the supervisor puts it in this process's environment.
 */
export function applyWorkerThreadPlan(runtime: Runtime): ThreadPlan {
  const { config, logger } = runtime;
  const plan = planWorkerThreads({
    device: config.VECTORIZER_DEVICE,
    assignedCores: config.WORKER_CORES,
    inferenceThreads: config.INFERENCE_THREADS,
  });
  sharp.concurrency(plan.sharpConcurrency);
  // libvips' operation cache only pays for a repeated call, and a worker decodes each image once.
  sharp.cache(false);
  logger.info(
    { threads: plan },
    `thread plan: ${plan.cores} core(s) (${plan.coresSource}), ${plan.inferenceThreads} ONNX Runtime thread(s) (${plan.inferenceThreadsSource}), ${plan.decodeThreads} decode thread(s)`,
  );
  return plan;
}
