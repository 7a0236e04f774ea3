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
  // libvips' operation cache keeps recent pipelines (up to 50 MB) for a repeat of the same call; a
  // worker decodes each image once, so the cache only costs: off, bench:feed measured about 15%
  // less worker CPU per product.
  sharp.cache(false);
  logger.info(
    { threads: plan },
    `thread plan: ${plan.cores} core(s) (${plan.coresSource}), ${plan.inferenceThreads} ONNX Runtime thread(s) (${plan.inferenceThreadsSource}), ${plan.decodeThreads} decode thread(s)`,
  );
  return plan;
}
