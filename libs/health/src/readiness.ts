import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { type CheckResult, type CheckStatus, worstStatus } from './check-result';
import { checkPgvector, checkPostgresReachable, checkSchema } from './postgres-checks';
import { checkRedisReachable } from './redis-checks';
import { runCheck } from './run-check';
import { checkWorkers } from './worker-checks';

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

export interface ReadinessDependencies {
  redis: Redis;
  pool: Pool;
  queuePrefix: string;
  /** The model searches use, when known: workers on another model are reported. */
  expectedModel?: string;
  /** Per check; a hung dependency answers "no answer within N ms" instead of hanging the probe. */
  timeoutMs?: number;
}

/**
 * What /readyz answers: can this deployment embed and search right now? Redis, Postgres,
 * pgvector with the schema and its HNSW index, and at least one live worker. Checks run in
 * parallel so the probe takes as long as the slowest one.
 */
export async function checkReadiness(deps: ReadinessDependencies): Promise<HealthReport> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const results = await Promise.all([
    runCheck('redis', () => checkRedisReachable(deps.redis), {
      timeoutMs,
      fix: 'Check REDIS_URL and that Redis is running.',
    }),
    runCheck('postgres', () => checkPostgresReachable(deps.pool), {
      timeoutMs,
      fix: 'Check DATABASE_URL and that PostgreSQL is running.',
    }),
    runCheck('pgvector', () => checkPgvector(deps.pool), {
      timeoutMs,
      fix: 'Check DATABASE_URL and that PostgreSQL is running.',
    }),
    runCheck('schema', () => checkSchema(deps.pool), {
      timeoutMs,
      fix: 'Check PostgreSQL, then run `npx vectorizer migrate`.',
    }),
    runCheck('workers', () => checkWorkers(deps.redis, deps.queuePrefix, deps.expectedModel), {
      timeoutMs,
      fix: 'Check Redis, then start workers with `npx vectorizer worker`.',
    }),
  ]);
  return toReport(results);
}
