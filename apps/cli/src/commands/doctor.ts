import type { Command } from 'commander';
import { isLocalDevelopment } from '@vectorizer/config';
import { ensureDevModel } from '@vectorizer/dev-model';
import { resolveOptionsFromConfig } from '@vectorizer/embedder';
import { type CheckResult, runDoctor, worstStatus } from '@vectorizer/health';
import { DeadLetters } from '@vectorizer/queue';
import type { Runtime } from '@vectorizer/runtime';
import { EmbeddingsRepository } from '@vectorizer/store';
import IORedis from 'ioredis';
import { runCommand } from '../context';

const LABEL = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL' } as const;

export function formatCheck(result: CheckResult): string {
  const line = `${LABEL[result.status]}  ${result.name}: ${result.detail}`;
  return result.fix && result.status !== 'ok' ? `${line}\n      fix: ${result.fix}` : line;
}

/** Runs every check against the configured services; returns the exit code (1 when anything failed). */
export async function doctor(runtime: Runtime, opts: { json?: boolean }): Promise<number> {
  const { config } = runtime;
  // Fail fast while Redis is down instead of retrying forever: the doctor reports, it does not wait.
  const redis = new IORedis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: (attempt) => (attempt > 2 ? null : 200),
  });
  redis.on('error', () => undefined);
  const pool = runtime.pool({ max: 2 });
  pool.on('error', () => undefined);
  const embedQueue = runtime.embedQueue(redis);
  embedQueue.on('error', () => undefined);

  try {
    const results = await runDoctor({
      redis,
      pool,
      queuePrefix: config.QUEUE_PREFIX,
      embedQueue,
      deadLetters: new DeadLetters(embedQueue),
      embeddings: new EmbeddingsRepository(pool),
      model: { ...resolveOptionsFromConfig(config), ensureDevModel },
      executionProvider: {
        device: config.VECTORIZER_DEVICE,
        allowCpuFallback: config.ALLOW_CPU_FALLBACK,
        nvidiaSmiPath: config.NVIDIA_SMI_PATH,
      },
      localDevelopment: isLocalDevelopment(config),
    });
    const status = worstStatus(results);
    if (opts.json) process.stdout.write(`${JSON.stringify({ status, checks: results }, null, 2)}\n`);
    else {
      for (const result of results) process.stdout.write(`${formatCheck(result)}\n`);
      const counts = { ok: 0, warn: 0, fail: 0 };
      for (const result of results) counts[result.status] += 1;
      process.stdout.write(`\n${counts.ok} ok, ${counts.warn} warning(s), ${counts.fail} failure(s)\n`);
    }
    return status === 'fail' ? 1 : 0;
  } finally {
    await embedQueue.close().catch(() => undefined);
    redis.disconnect();
    await pool.end();
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check everything the pipeline needs — Redis (persistence, eviction policy), PostgreSQL, pgvector, schema and index, ' +
        'model files, execution provider, workers, stalled jobs, dead letters, embedding coverage — ' +
        'one OK/WARN/FAIL line each with the fix; exits 1 on any FAIL.',
    )
    .option('--json', 'print {status, checks:[{name,status,detail,fix}]} as JSON')
    .action((opts: { json?: boolean }) => runCommand('doctor', ({ runtime }) => doctor(runtime, opts)));
}
