import type { ResolvedModel } from '@vectorizer/embedder';
import type { WorkerHeartbeatRecord } from '@vectorizer/queue';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { type CheckResult, type CheckStatus, worstStatus } from './check-result';
import { checkSearchModel } from './model-checks';
import { checkPgvector, checkPostgresReachable, checkSchema } from './postgres-checks';
import { checkRedisReachable } from './redis-checks';
import { runCheck } from './run-check';
import { judgeWorkers, readLiveWorkers } from './worker-checks';

export interface HealthReport {
  /** ok when nothing failed (warnings do not make a service unready). */
  status: 'ok' | 'fail';
  checks: Record<string, { status: CheckStatus; detail: string; fix?: string }>;
}

export function toReport(results: readonly CheckResult[]): HealthReport {
  const checks: HealthReport['checks'] = {};
  for (const { name, ...rest } of results) checks[name] = rest;
  return { status: worstStatus(results) === 'fail' ? 'fail' : 'ok', checks };
}

/** One live worker as /readyz lists it. */
export type LiveWorker = Pick<
  WorkerHeartbeatRecord,
  'workerId' | 'host' | 'pid' | 'device' | 'provider' | 'model' | 'state' | 'updatedAt'
>;

/**
 * Worker liveness, reported beside readiness and never deciding it: searches need no worker, and
 * a stopped fleet must not take search out of the load balancer. `live` is null when the registry
 * could not be read (Redis down or slow; the redis check says which).
 */
export interface WorkersReport {
  live: number | null;
  status: CheckStatus;
  detail: string;
  fix?: string;
  workers: LiveWorker[];
}

export interface ReadinessReport extends HealthReport {
  workers: WorkersReport;
}

export interface ReadinessDependencies {
  redis: Redis;
  pool: Pool;
  queuePrefix: string;
  /** Resolves the model searches use (config files only, no hashing); its failure fails readiness. */
  searchModel?: () => Promise<ResolvedModel>;
  /** The model searches use, when known: workers on another model are reported. */
  expectedModel?: string;
  /** Per check; a hung dependency answers "no answer within N ms" instead of hanging the probe. */
  timeoutMs?: number;
}

/**
 * What /readyz answers: can this API serve right now? Redis (the dashboard and intake), Postgres,
 * pgvector with the schema and its HNSW index, and the search model. Live workers are reported in
 * `workers`, read from the worker registry (two keys, no keyspace scan). Checks run in parallel,
 * so the probe takes as long as the slowest one.
 */
export async function checkReadiness(deps: ReadinessDependencies): Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const pgFix = 'Check DATABASE_URL and that PostgreSQL is running.';
  const checks: Promise<CheckResult>[] = [
    runCheck('redis', () => checkRedisReachable(deps.redis), {
      timeoutMs,
      fix: 'Check REDIS_URL and that Redis is running.',
    }),
    runCheck('postgres', () => checkPostgresReachable(deps.pool), { timeoutMs, fix: pgFix }),
    runCheck('pgvector', () => checkPgvector(deps.pool), { timeoutMs, fix: pgFix }),
    runCheck('schema', () => checkSchema(deps.pool), {
      timeoutMs,
      fix: 'Check PostgreSQL, then run `npx vectorizer migrate`.',
    }),
  ];
  const searchModel = deps.searchModel;
  if (searchModel)
    checks.push(
      runCheck('model', () => checkSearchModel(searchModel), { timeoutMs, fix: 'Check MODEL_DIR / MODEL_ID.' }),
    );
  const [results, workers] = await Promise.all([Promise.all(checks), readWorkers(deps, timeoutMs)]);
  return { ...toReport(results), workers };
}

async function readWorkers(deps: ReadinessDependencies, timeoutMs: number): Promise<WorkersReport> {
  let live: WorkerHeartbeatRecord[] | undefined;
  const result = await runCheck(
    'workers',
    async () => {
      live = await readLiveWorkers(deps.redis, deps.queuePrefix);
      return judgeWorkers(live, deps.expectedModel);
    },
    { timeoutMs, fix: 'Check Redis, then start workers with `npx vectorizer worker`.' },
  );
  const workers = (live ?? []).map(({ workerId, host, pid, device, provider, model, state, updatedAt }) => ({
    workerId,
    host,
    pid,
    device,
    provider,
    model,
    state,
    updatedAt,
  }));
  return {
    live: live === undefined ? null : live.length,
    status: result.status,
    detail: result.detail,
    ...(result.fix && result.status !== 'ok' ? { fix: result.fix } : {}),
    workers,
  };
}
