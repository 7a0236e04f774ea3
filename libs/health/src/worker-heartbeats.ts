import type { Redis } from 'ioredis';
import { z } from 'zod';

/** What each worker writes to `${prefix}:workers:${workerId}` every 5 s (20 s TTL) once its self-test passed. */
const heartbeatSchema = z.object({
  workerId: z.string(),
  pid: z.number(),
  host: z.string(),
  device: z.string(),
  provider: z.string(),
  model: z.string(),
  dimension: z.number(),
  batchSize: z.number(),
  concurrency: z.number(),
  startedAt: z.string(),
  updatedAt: z.string(),
  state: z.enum(['running', 'paused', 'draining']),
});

export type WorkerHeartbeat = z.infer<typeof heartbeatSchema>;

export const workerHeartbeatPattern = (queuePrefix: string): string => `${queuePrefix}:workers:*`;

export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/**
 * Live workers, read with SCAN (never KEYS: it blocks Redis). Expired heartbeats are gone by TTL;
 * malformed ones (a worker of another version) are skipped rather than failing the whole check.
 */
export async function readWorkerHeartbeats(redis: Redis, queuePrefix: string): Promise<WorkerHeartbeat[]> {
  const keys = (await scanKeys(redis, workerHeartbeatPattern(queuePrefix))).sort();
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const heartbeats: WorkerHeartbeat[] = [];
  for (const value of values) {
    if (value === null) continue;
    try {
      const parsed = heartbeatSchema.safeParse(JSON.parse(value));
      if (parsed.success) heartbeats.push(parsed.data);
    } catch {
      // not JSON: not a heartbeat we understand
    }
  }
  return heartbeats;
}
