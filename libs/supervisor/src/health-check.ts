import { readFile } from 'node:fs/promises';

/** Written by each worker process (apps/worker) while it is healthy. */
export const DEFAULT_HEALTH_FILE = '/tmp/vectorizer-worker-health.json';
export const HEALTH_MAX_AGE_MS = 60_000;

export type HealthResult = { healthy: true; model: string; ageMs: number } | { healthy: false; reason: string };

/** For container health checks: healthy iff the file says ok and was written less than a minute ago. */
export async function checkWorkerHealth(file = DEFAULT_HEALTH_FILE, now = Date.now()): Promise<HealthResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      healthy: false,
      reason:
        code === 'ENOENT'
          ? `${file} does not exist: no worker has passed its start-up self-test`
          : `cannot read ${file}: ${String(error)}`,
    };
  }
  let health: { ok?: unknown; model?: unknown; updatedAt?: unknown };
  try {
    health = JSON.parse(text) as typeof health;
  } catch {
    return { healthy: false, reason: `${file} is not JSON` };
  }
  const updatedAt = typeof health.updatedAt === 'string' ? Date.parse(health.updatedAt) : NaN;
  if (Number.isNaN(updatedAt)) return { healthy: false, reason: `${file} has no valid updatedAt` };
  const ageMs = now - updatedAt;
  if (health.ok !== true)
    return { healthy: false, reason: `worker reports not ok (updated ${Math.round(ageMs / 1000)} s ago)` };
  if (ageMs >= HEALTH_MAX_AGE_MS)
    return {
      healthy: false,
      reason: `last heartbeat ${Math.round(ageMs / 1000)} s ago (limit ${HEALTH_MAX_AGE_MS / 1000} s)`,
    };
  return { healthy: true, model: String(health.model ?? ''), ageMs };
}
