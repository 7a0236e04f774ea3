import { readFile } from 'node:fs/promises';
import type { SupervisorHealthFile } from './supervisor-health';

/** Written by each worker process (apps/worker) while it is healthy. */
export const DEFAULT_HEALTH_FILE = '/tmp/vectorizer-worker-health.json';
export const HEALTH_MAX_AGE_MS = 60_000;

export type HealthResult = { healthy: true; model: string; ageMs: number } | { healthy: false; reason: string };

/**
 * For container health checks. A supervisor's file (it lists its devices): healthy iff no device was
 * given up on and every device's worker is healthy. A worker's own file: healthy iff it says ok and
 * was written less than a minute ago.
 */
export async function checkWorkerHealth(file = DEFAULT_HEALTH_FILE, now = Date.now()): Promise<HealthResult> {
  const read = await readHealthFile(file);
  if ('reason' in read) return { healthy: false, reason: read.reason };
  const devices = (read.json as Partial<SupervisorHealthFile>).devices;
  if (!Array.isArray(devices)) return judgeWorkerFile(file, read.json, now);
  if (devices.length === 0) return { healthy: false, reason: `${file} lists no device` };
  const gaveUp = devices.filter((entry) => entry.state === 'gave-up').map((entry) => entry.device);
  if (gaveUp.length > 0)
    return {
      healthy: false,
      reason: `the supervisor gave up on ${gaveUp.join(', ')} (of ${devices.length} device(s)): its log says why`,
    };
  let oldest: HealthResult | undefined;
  for (const entry of devices) {
    const deviceFile = await readHealthFile(entry.healthFile);
    const result =
      'reason' in deviceFile
        ? ({ healthy: false, reason: deviceFile.reason } as const)
        : judgeWorkerFile(entry.healthFile, deviceFile.json, now);
    if (!result.healthy) return { healthy: false, reason: `${entry.device}: ${result.reason}` };
    if (!oldest || (oldest.healthy && result.ageMs > oldest.ageMs)) oldest = result;
  }
  return oldest as HealthResult;
}

async function readHealthFile(file: string): Promise<{ json: unknown } | { reason: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      reason:
        code === 'ENOENT'
          ? `${file} does not exist: no worker has passed its start-up self-test`
          : `cannot read ${file}: ${String(error)}`,
    };
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { reason: `${file} is not JSON` };
  }
}

function judgeWorkerFile(file: string, json: unknown, now: number): HealthResult {
  const health = (json ?? {}) as { ok?: unknown; model?: unknown; updatedAt?: unknown };
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
