/**
 * Benchmarks measure our defaults the way a worker runs them: the thread plan a worker would apply
 * (no INFERENCE_THREADS), with UV_THREADPOOL_SIZE in the environment before libuv starts — which,
 * like the supervisor does for workers, means starting this script again with it set.
 */
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { planWorkerThreads, type ThreadPlan } from '@vectorizer/devices';

/** Re-runs the current script with the plan's UV_THREADPOOL_SIZE unless it is already set; returns the plan. */
export function applyWorkerThreadPlan(device = 'cpu'): ThreadPlan {
  const plan = planWorkerThreads({ device });
  if (process.env.UV_THREADPOOL_SIZE === undefined) {
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, UV_THREADPOOL_SIZE: String(plan.uvThreadpoolSize) },
    });
    process.exit(child.status ?? 1);
  }
  sharp.concurrency(plan.sharpConcurrency);
  return plan;
}

export function describeThreadPlan(plan: ThreadPlan): string {
  return `${plan.cores} core(s) (${plan.coresSource}): ${plan.inferenceThreads} ORT intra-op, ${plan.decodeThreads} decode, sharp ${plan.sharpConcurrency}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? plan.uvThreadpoolSize}`;
}
