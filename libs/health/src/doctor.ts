import type { Queue } from 'bullmq';
import type { ResolvedModel } from '@vectorizer/embedder';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { type CheckResult, fail } from './check-result';
import { checkExecutionProvider, type ExecutionProviderCheckOptions } from './device-checks';
import { checkModel } from './model-checks';
import { checkPgvector, checkPostgresReachable, checkSchema } from './postgres-checks';
import { checkDeadLetters, checkEmbeddingCoverage, checkQueueJobs } from './queue-checks';
import { checkRedisEvictionPolicy, checkRedisPersistence, checkRedisReachable } from './redis-checks';
import { runCheck } from './run-check';
import { checkWorkers } from './worker-checks';

export interface DoctorDependencies {
  redis: Redis;
  pool: Pool;
  queuePrefix: string;
  embedQueue: Queue;
  /** The embed queue's failed jobs (DeadLetters). */
  deadLetters: { count(): Promise<number> };
  embeddings: { countEmbedded(model: string): Promise<number>; countMissing(model: string): Promise<number> };
  /** The configured model (Runtime.model()); a failure is the model check's FAIL, not the end of the report. */
  model: () => Promise<ResolvedModel>;
  executionProvider: ExecutionProviderCheckOptions;
  /** `isLocalDevelopment(config)`: operational advice (Redis persistence) is a WARN, not a FAIL. */
  localDevelopment?: boolean;
  timeoutMs?: number;
}

const skipped = (name: string, because: string, fix: string): CheckResult => fail(name, `skipped: ${because}`, fix);

/**
 * The incident checklist as one pass, in the order an operator would walk it. A check that
 * depends on something already failed is reported as skipped (FAIL) with the same fix, instead
 * of timing out a second time.
 */
export async function runDoctor(deps: DoctorDependencies): Promise<CheckResult[]> {
  const timeoutMs = deps.timeoutMs ?? 5_000;
  const results: CheckResult[] = [];
  const redisFix = 'Check REDIS_URL and that Redis is running.';
  const pgFix = 'Check DATABASE_URL and that PostgreSQL is running.';
  const run = async (name: string, check: () => Promise<CheckResult>, fix: string): Promise<CheckResult> => {
    const result = await runCheck(name, check, { timeoutMs, fix });
    results.push(result);
    return result;
  };

  const redisUp = (await run('redis', () => checkRedisReachable(deps.redis), redisFix)).status !== 'fail';
  if (redisUp) {
    await run(
      'redis persistence',
      () => checkRedisPersistence(deps.redis, { localDevelopment: deps.localDevelopment }),
      redisFix,
    );
    await run('redis maxmemory-policy', () => checkRedisEvictionPolicy(deps.redis), redisFix);
  } else {
    results.push(
      skipped('redis persistence', 'Redis unreachable', redisFix),
      skipped('redis maxmemory-policy', 'Redis unreachable', redisFix),
    );
  }

  const postgresUp = (await run('postgres', () => checkPostgresReachable(deps.pool), pgFix)).status !== 'fail';
  let schemaReady = false;
  if (postgresUp) {
    await run('pgvector', () => checkPgvector(deps.pool), pgFix);
    schemaReady =
      (await run('schema', () => checkSchema(deps.pool), 'Run `npx vectorizer migrate`.')).status !== 'fail';
  } else {
    results.push(
      skipped('pgvector', 'PostgreSQL unreachable', pgFix),
      skipped('schema', 'PostgreSQL unreachable', pgFix),
    );
  }

  // Hashing a large model can take seconds: no timeout shorter than the work itself.
  const modelOutcome = await checkModel(deps.model);
  results.push(modelOutcome.result);
  results.push(checkExecutionProvider(deps.executionProvider));

  if (redisUp) {
    await run(
      'workers',
      () => checkWorkers(deps.redis, deps.queuePrefix, modelOutcome.model?.id, deps.embedQueue),
      redisFix,
    );
    await run(`queue ${deps.embedQueue.name}`, () => checkQueueJobs(deps.embedQueue, deps.redis), redisFix);
    await run('dead letters', () => checkDeadLetters(deps.deadLetters), redisFix);
  } else {
    for (const name of ['workers', `queue ${deps.embedQueue.name}`, 'dead letters']) {
      results.push(skipped(name, 'Redis unreachable', redisFix));
    }
  }

  const model = modelOutcome.model;
  if (schemaReady && model) {
    await run('embeddings', () => checkEmbeddingCoverage(deps.embeddings, model.id), pgFix);
  } else {
    results.push(
      skipped(
        'embeddings',
        schemaReady ? 'no usable model to count embeddings for' : 'schema not ready',
        'Fix the failures above first.',
      ),
    );
  }
  return results;
}
