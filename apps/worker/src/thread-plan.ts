import sharp from 'sharp';
import type { Config } from '@vectorizer/config';
import { planWorkerThreads, type ThreadPlan } from '@vectorizer/devices';
import type { Logger } from '@vectorizer/logger';

/**
 * Decides and applies this worker's threads: sharp's libvips threads now, ONNX Runtime's through
 * the returned plan (Embedder.start's `threads`). UV_THREADPOOL_SIZE cannot be applied here — libuv
 * has read it already — so the supervisor puts it in this process's environment.
 */
export function applyThreadPlan(config: Config, logger: Logger): ThreadPlan {
  const plan = planWorkerThreads({
    device: config.VECTORIZER_DEVICE,
    assignedCores: config.WORKER_CORES,
    inferenceThreads: config.INFERENCE_THREADS,
  });
  sharp.concurrency(plan.sharpConcurrency);
  logger.info(
    { threads: plan },
    `thread plan: ${plan.cores} core(s) (${plan.coresSource}), ${plan.inferenceThreads} ONNX Runtime thread(s) (${plan.inferenceThreadsSource}), ${plan.decodeThreads} decode thread(s)`,
  );
  return plan;
}
