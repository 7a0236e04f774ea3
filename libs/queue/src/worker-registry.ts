import type { Redis } from 'ioredis';
import { z } from 'zod';

/** What each live worker publishes about itself (after its self-test passed). */
export const workerHeartbeatSchema = z.object({
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

export type WorkerHeartbeatRecord = z.infer<typeof workerHeartbeatSchema>;

/** A worker's last prom-client snapshot (`registry.getMetricsAsJSON()`), as JSON text. */
export interface WorkerMetricsSnapshot {
  workerId: string;
  json: string;
}

/**
 * The registry's three keys, under the queue prefix (same hash tag, so one cluster slot):
 * a sorted set of worker ids scored by expiry time (ms, Redis clock) and two hashes keyed by worker
 * id — the heartbeat record and the metrics snapshot. Readers touch these keys only: finding the
 * live workers never scans the keyspace, whose size grows with the backlog (one key per job).
 */
export const workerRegistryKeys = (prefix: string): [live: string, heartbeats: string, metrics: string] => [
  `${prefix}:worker-registry`,
  `${prefix}:worker-heartbeats`,
  `${prefix}:worker-metrics`,
];

/** Removes entries whose expiry passed (workers that died without saying so); Redis's clock decides. */
const PRUNE = `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('HDEL', KEYS[2], unpack(expired))
  redis.call('HDEL', KEYS[3], unpack(expired))
end
`;

/** ARGV: id, ttl ms, heartbeat JSON, metrics JSON ('' keeps the previous snapshot). */
const BEAT = `${PRUNE}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[4]) end
return 1`;

/** ARGV: 2 for heartbeats, 3 for metrics. Answers [id1, value1, id2, value2, ...], live ones only. */
const READ = `${PRUNE}
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
if #live == 0 then return {} end
local values = redis.call('HMGET', KEYS[tonumber(ARGV[1])], unpack(live))
local out = {}
for i, id in ipairs(live) do
  out[#out + 1] = id
  out[#out + 1] = values[i] or ''
end
return out`;

/**
 * Live workers and their metrics, in three keys whatever the size of the queue. Workers write
 * (`beat`, `remove`); /readyz, `doctor` and /metrics read. Entries expire by score and are pruned on
 * every read and write, so a killed worker drops out after its TTL.
 */
export class WorkerRegistry {
  private readonly keys: string[];

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = workerRegistryKeys(prefix);
  }

  async beat(record: WorkerHeartbeatRecord, options: { ttlMs: number; metricsJson?: string }): Promise<void> {
    await this.redis.eval(
      BEAT,
      this.keys.length,
      ...this.keys,
      record.workerId,
      String(options.ttlMs),
      JSON.stringify(record),
      options.metricsJson ?? '',
    );
  }

  /** A worker that stops cleanly leaves at once instead of after its TTL. */
  async remove(workerId: string): Promise<void> {
    const [live, heartbeats, metrics] = this.keys;
    await this.redis.multi().zrem(live, workerId).hdel(heartbeats, workerId).hdel(metrics, workerId).exec();
  }

  /** Live workers by id; a malformed record (a worker of another version) is skipped. */
  async liveWorkers(): Promise<WorkerHeartbeatRecord[]> {
    const workers: WorkerHeartbeatRecord[] = [];
    for (const { json } of await this.read(2)) {
      try {
        const parsed = workerHeartbeatSchema.safeParse(JSON.parse(json));
        if (parsed.success) workers.push(parsed.data);
      } catch {
        // not JSON: not a heartbeat this version understands
      }
    }
    return workers;
  }

  /** The live workers' last metrics snapshots (unparsed: the reader decides what a bad one costs). */
  async liveMetrics(): Promise<WorkerMetricsSnapshot[]> {
    return this.read(3);
  }

  private async read(field: 2 | 3): Promise<WorkerMetricsSnapshot[]> {
    const flat = (await this.redis.eval(READ, this.keys.length, ...this.keys, String(field))) as string[];
    const entries: WorkerMetricsSnapshot[] = [];
    for (let i = 0; i < flat.length; i += 2)
      if (flat[i + 1] !== '') entries.push({ workerId: flat[i], json: flat[i + 1] });
    return entries.sort((a, b) => a.workerId.localeCompare(b.workerId));
  }
}
