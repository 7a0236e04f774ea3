import type { Redis } from 'ioredis';
import { type CheckResult, fail, ok, warn } from './check-result';

export async function checkRedisReachable(redis: Redis): Promise<CheckResult> {
  const reply = await redis.ping();
  return reply === 'PONG'
    ? ok('redis', 'PING answered')
    : fail('redis', `PING answered ${JSON.stringify(reply)}`, 'Check REDIS_URL points at a Redis server.');
}

/** CONFIG GET answers [name, value]; managed Redis services often disable CONFIG, which is not an error. */
async function readConfig(redis: Redis, parameter: string): Promise<string | undefined> {
  const reply = (await redis.config('GET', parameter)) as unknown;
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  return String(reply[1]);
}

async function tryReadConfig(redis: Redis, parameter: string): Promise<{ value?: string; error?: string }> {
  try {
    return { value: await readConfig(redis, parameter) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Queued jobs live only in Redis: without AOF or RDB snapshots a Redis restart loses every
 * pending job silently. AOF is what a queue wants (at most ~1 s lost with appendfsync everysec).
 * In local development (`isLocalDevelopment` in libs/config) no persistence at all is advice (WARN):
 * `vectorizer enqueue --missing` rebuilds the queue from Postgres; elsewhere it is a FAIL.
 */
export async function checkRedisPersistence(
  redis: Redis,
  options: { localDevelopment?: boolean } = {},
): Promise<CheckResult> {
  const name = 'redis persistence';
  const aof = await tryReadConfig(redis, 'appendonly');
  if (aof.error !== undefined) {
    return warn(
      name,
      `cannot read CONFIG (${aof.error})`,
      'Confirm with your Redis provider that AOF persistence is enabled.',
    );
  }
  if (aof.value === 'yes') return ok(name, 'appendonly yes');
  const save = (await tryReadConfig(redis, 'save')).value ?? '';
  const fix =
    'Enable AOF: `CONFIG SET appendonly yes` then `CONFIG REWRITE` (or `appendonly yes` in redis.conf / `--appendonly yes`).';
  if (save.trim() !== '') {
    return warn(
      name,
      `appendonly no; only RDB snapshots (save "${save}") — jobs since the last snapshot are lost on restart`,
      fix,
    );
  }
  const detail = 'appendonly no and no RDB snapshots: a Redis restart loses every queued job';
  if (options.localDevelopment)
    return warn(
      name,
      `${detail} (advice for local development: NODE_ENV is not production and Redis is on loopback)`,
      `${fix} After a restart, \`npx vectorizer enqueue --missing\` re-queues what was lost.`,
    );
  return fail(name, detail, fix);
}

/** Any policy other than noeviction lets Redis delete queue keys under memory pressure (jobs vanish). */
export async function checkRedisEvictionPolicy(redis: Redis): Promise<CheckResult> {
  const name = 'redis maxmemory-policy';
  const policy = await tryReadConfig(redis, 'maxmemory-policy');
  if (policy.error !== undefined) {
    return warn(
      name,
      `cannot read CONFIG (${policy.error})`,
      'Confirm with your Redis provider that maxmemory-policy is noeviction.',
    );
  }
  if (policy.value === 'noeviction') return ok(name, 'noeviction');
  return fail(
    name,
    `maxmemory-policy is ${policy.value ?? 'unknown'}: Redis may evict queue keys and lose jobs`,
    'Run `CONFIG SET maxmemory-policy noeviction` then `CONFIG REWRITE` (or set it in redis.conf).',
  );
}
