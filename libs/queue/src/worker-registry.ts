import type { Redis } from 'ioredis';
import { z } from 'zod';
import { runScript, type RedisScript } from './redis-script';

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

/**
 * The registry's keys, under the queue prefix (same hash tag, so one cluster slot): a sorted set of
 * live worker ids scored by expiry time (ms, Redis clock), two hashes keyed by worker id — the
 * heartbeat record and the metrics snapshot —, a sorted set of stopped (retired) worker ids scored by
 * when their last record and snapshot are forgotten, and a hash of worker starts per device. Readers
 * touch these keys only: finding the workers never scans the keyspace, whose size grows with the
 * backlog (one key per job).
 */
export const workerRegistryKeys = (
  prefix: string,
): [live: string, heartbeats: string, metrics: string, retired: string, starts: string] => [
  `${prefix}:worker-registry`,
  `${prefix}:worker-heartbeats`,
  `${prefix}:worker-metrics`,
  `${prefix}:worker-retired`,
  `${prefix}:worker-starts`,
];

/**
 * How long a stopped worker's last snapshot stays readable: several scrapes of any usual interval,
 * so its final counts reach Prometheus, then its series end (staleness), never counted twice.
 */
const DEFAULT_RETAIN_STOPPED_MS = 10 * 60_000;

/**
 * ARGV[1] = retain ms. A live entry whose expiry passed (a worker that died without saying so) is
 * retired, keeping its last heartbeat and snapshot; a retired one past its retention is forgotten.
 * Redis's clock decides.
 */
const PRUNE = `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local retain = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  for _, id in ipairs(expired) do redis.call('ZADD', KEYS[4], now + retain, id) end
end
local forgotten = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 1000)
if #forgotten > 0 then
  redis.call('ZREM', KEYS[4], unpack(forgotten))
  redis.call('HDEL', KEYS[2], unpack(forgotten))
  redis.call('HDEL', KEYS[3], unpack(forgotten))
end
`;

/**
 * ARGV: retain, id, ttl ms, heartbeat JSON, metrics JSON ('' keeps the previous snapshot), device,
 * the process's startedAt and pid. The first beat of a process counts one start of its device: the
 * supervisor restarts a device's worker under the same id, so the id alone cannot tell a restart from
 * a process back after an expiry (whose kept record has the same startedAt and pid).
 */
const BEAT: RedisScript = {
  name: 'vectorizerWorkerBeat',
  lua: `${PRUNE}
local ok, previous = pcall(cjson.decode, redis.call('HGET', KEYS[2], ARGV[2]) or '')
local sameProcess = ok and type(previous) == 'table' and previous.startedAt == ARGV[7] and tostring(previous.pid) == ARGV[8]
if not sameProcess then redis.call('HINCRBY', KEYS[5], ARGV[6], 1) end
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], ARGV[5]) end
return 1`,
};

/** ARGV: retain, id, final metrics JSON ('' keeps the last one). A stopped worker leaves the live set at once. */
const RETIRE: RedisScript = {
  name: 'vectorizerWorkerRetire',
  lua: `${PRUNE}
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[1]), ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], ARGV[3]) end
return 1`,
};

/** ARGV: retain, then 2 for heartbeats, 3 for metrics. Answers [id, value, '0' live | '1' retired, ...]. */
const READ: RedisScript = {
  name: 'vectorizerWorkerRead',
  lua: `${PRUNE}
local out = {}
for set = 1, 2 do
  local ids = redis.call('ZRANGE', KEYS[set == 1 and 1 or 4], 0, -1)
  if #ids > 0 then
    local values = redis.call('HMGET', KEYS[tonumber(ARGV[2])], unpack(ids))
    for i, id in ipairs(ids) do
      out[#out + 1] = id
      out[#out + 1] = values[i] or ''
      out[#out + 1] = set == 1 and '0' or '1'
    end
  end
end
return out`,
};

/** One registry entry as read: a live worker, or a stopped one whose last state is kept a while. */
export interface WorkerRegistryEntry {
  workerId: string;
  json: string;
  /** True for a worker that stopped (or whose heartbeat expired) within the retention. */
  retired: boolean;
}

export interface WorkerRegistryOptions {
  /** How long a stopped worker's last heartbeat and snapshot stay readable; DEFAULT_RETAIN_STOPPED_MS. */
  retainStoppedMs?: number;
}

/**
 * Live workers and their metrics, in five keys whatever the size of the queue. Workers write
 * (`beat`, `retire`); /readyz, `doctor` and /metrics read. Entries expire by score and are pruned on
 * every read and write, so a killed worker drops out of the live set after its TTL; its last
 * snapshot stays readable for the retention either way (a stopped worker's final counts included).
 */
export class WorkerRegistry {
  private readonly keys: string[];
  private readonly retain: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    options: WorkerRegistryOptions = {},
  ) {
    this.keys = workerRegistryKeys(prefix);
    this.retain = String(options.retainStoppedMs ?? DEFAULT_RETAIN_STOPPED_MS);
  }

  async beat(record: WorkerHeartbeatRecord, options: { ttlMs: number; metricsJson?: string }): Promise<void> {
    await runScript(this.redis, BEAT, this.keys, [
      this.retain,
      record.workerId,
      String(options.ttlMs),
      JSON.stringify(record),
      options.metricsJson ?? '',
      record.device,
      record.startedAt,
      String(record.pid),
    ]);
  }

  /**
   * A worker that stops cleanly leaves the live set at once (so /readyz and `doctor` stop counting
   * it) and leaves its final snapshot, so the counts of its last seconds still reach /metrics.
   */
  async retire(workerId: string, options: { metricsJson?: string } = {}): Promise<void> {
    await runScript(this.redis, RETIRE, this.keys, [this.retain, workerId, options.metricsJson ?? '']);
  }

  /** Forgets a worker at once, its last snapshot included. */
  async remove(workerId: string): Promise<void> {
    const [live, heartbeats, metrics, retired] = this.keys;
    await this.redis
      .multi()
      .zrem(live, workerId)
      .zrem(retired, workerId)
      .hdel(heartbeats, workerId)
      .hdel(metrics, workerId)
      .exec();
  }

  /** Live workers by id; a malformed record (a worker of another version) is skipped. */
  async liveWorkers(): Promise<WorkerHeartbeatRecord[]> {
    return (await this.workers()).filter((worker) => !worker.retired).map(({ record }) => record);
  }

  /** Live and recently stopped workers' heartbeat records; malformed ones are skipped. */
  async workers(): Promise<{ record: WorkerHeartbeatRecord; retired: boolean }[]> {
    const workers: { record: WorkerHeartbeatRecord; retired: boolean }[] = [];
    for (const { json, retired } of await this.read(2)) {
      try {
        const parsed = workerHeartbeatSchema.safeParse(JSON.parse(json));
        if (parsed.success) workers.push({ record: parsed.data, retired });
      } catch {
        // not JSON: not a heartbeat this version understands
      }
    }
    return workers;
  }

  /** Live and recently stopped workers' last metrics snapshots. */
  async metrics(): Promise<WorkerRegistryEntry[]> {
    return this.read(3);
  }

  /** Worker processes started per device since the registry began (a counter: never goes down). */
  async starts(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.keys[4] as string);
    return Object.fromEntries(Object.entries(raw).map(([device, count]) => [device, Number(count)]));
  }

  private async read(field: 2 | 3): Promise<WorkerRegistryEntry[]> {
    const flat = (await runScript(this.redis, READ, this.keys, [this.retain, String(field)])) as string[];
    const entries: WorkerRegistryEntry[] = [];
    for (let i = 0; i < flat.length; i += 3)
      if (flat[i + 1] !== '') entries.push({ workerId: flat[i], json: flat[i + 1], retired: flat[i + 2] === '1' });
    return entries.sort((a, b) => a.workerId.localeCompare(b.workerId));
  }
}
