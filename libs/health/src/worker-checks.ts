import { WorkerRegistry, type WorkerHeartbeatRecord } from '@vectorizer/queue';
import type { Redis } from 'ioredis';
import { type CheckResult, fail, ok, warn } from './check-result';

/** Live workers from the registry (a sorted set and a hash: no keyspace scan, whatever the backlog). */
export function readLiveWorkers(redis: Redis, queuePrefix: string): Promise<WorkerHeartbeatRecord[]> {
  return new WorkerRegistry(redis, queuePrefix).liveWorkers();
}

/**
 * Judges the live workers: at least one whose start-up self-test passed (it registers only after
 * that). When the caller knows which model searches use, workers embedding with another model are
 * a WARN: their rows would never be found by those searches.
 */
export function judgeWorkers(workers: readonly WorkerHeartbeatRecord[], expectedModel?: string): CheckResult {
  const name = 'workers';
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

/** `doctor`'s line: the live workers, judged. */
export async function checkWorkers(redis: Redis, queuePrefix: string, expectedModel?: string): Promise<CheckResult> {
  return judgeWorkers(await readLiveWorkers(redis, queuePrefix), expectedModel);
}
