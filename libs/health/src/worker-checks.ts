import { WorkerRegistry, getQueueStats, type WorkerHeartbeatRecord } from '@vectorizer/queue';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type CheckResult, fail, ok, warn } from './check-result';

/** Live workers from the registry (a sorted set and a hash: no keyspace scan, whatever the backlog). */
export function readLiveWorkers(redis: Redis, queuePrefix: string): Promise<WorkerHeartbeatRecord[]> {
  return new WorkerRegistry(redis, queuePrefix).liveWorkers();
}

/**
 * Judges the live workers: at least one whose start-up self-test passed (it registers only after
 * that). When the caller knows which model searches use, workers embedding with another model are
 * a WARN: their rows would never be found by those searches. When it knows the queue holds no job
 * to do (`outstandingJobs` 0: a finished run), no worker is a WARN: nothing waits for one.
 */
export function judgeWorkers(
  workers: readonly WorkerHeartbeatRecord[],
  expectedModel?: string,
  outstandingJobs?: number,
): CheckResult {
  const name = 'workers';
  if (workers.length === 0 && outstandingJobs === 0) {
    return warn(
      name,
      'no live worker; the queue has no job waiting, running or retrying',
      'Start workers (`npx vectorizer worker`) before ingesting more; they embed whatever is queued.',
    );
  }
  if (workers.length === 0) {
    return fail(
      name,
      'no live worker',
      'Start workers with `npx vectorizer worker`; if they are running, their logs name why the model self-test failed.',
    );
  }
  const described = workers
    .map((w) => `${w.workerId} on ${w.device} (${w.provider}, ${w.state}) model ${w.model} dim ${w.dimension}`)
    .join('; ');
  const detail = `${workers.length} live worker(s): ${described}`;
  const otherModel = expectedModel === undefined ? [] : workers.filter((w) => w.model !== expectedModel);
  if (otherModel.length > 0) {
    return warn(
      name,
      `${detail} — ${otherModel.length} embed(s) with a model other than ${expectedModel}`,
      'Give every worker and the API the same MODEL_DIR / MODEL_ID.',
    );
  }
  return ok(name, detail);
}

/** `doctor`'s line: the live workers, judged against the work the queue holds (when `queue` is given). */
export async function checkWorkers(
  redis: Redis,
  queuePrefix: string,
  expectedModel?: string,
  queue?: Queue,
): Promise<CheckResult> {
  const workers = await readLiveWorkers(redis, queuePrefix);
  let outstanding: number | undefined;
  if (queue && workers.length === 0) {
    const stats = await getQueueStats(queue);
    outstanding = stats.waiting + stats.active + stats.delayed;
  }
  return judgeWorkers(workers, expectedModel, outstanding);
}
