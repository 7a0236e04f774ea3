import { isLocalDevelopment } from '@vectorizer/config';
import { runDoctor, worstStatus, type CheckResult, type CheckStatus } from '@vectorizer/health';
import { DeadLetters } from '@vectorizer/queue';
import { EmbeddingsRepository } from '@vectorizer/store';
import IORedis from 'ioredis';
import type { Runtime } from './runtime';

export interface DoctorReport {
  /** The worst status of all checks. */
  status: CheckStatus;
  checks: CheckResult[];
}

/**
 * Every doctor check against the configured services, with connections that fail fast: the doctor
 * reports what is down, it does not wait for it. The model comes from runtime.model() (inspected,
 * not refused: the doctor reports a dev model in production rather than stopping), inside its check,
 * so a broken one is a FAIL line with its fix rather than the end of the report.
 */
export async function runDoctorChecks(runtime: Runtime): Promise<DoctorReport> {
  const { config } = runtime;
  const redis = new IORedis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: (attempt) => (attempt > 2 ? null : 200),
  });
  redis.on('error', () => undefined);
  const pool = runtime.pool({ max: 2 });
  const embedQueue = runtime.embedQueue(redis);
  embedQueue.on('error', () => undefined);
  try {
    const checks = await runDoctor({
      redis,
      pool,
      queuePrefix: config.QUEUE_PREFIX,
      embedQueue,
      deadLetters: new DeadLetters(embedQueue),
      embeddings: new EmbeddingsRepository(pool),
      model: () => runtime.model(undefined, { inspectOnly: true }),
      executionProvider: {
        device: config.VECTORIZER_DEVICE,
        allowCpuFallback: config.ALLOW_CPU_FALLBACK,
        nvidiaSmiPath: config.NVIDIA_SMI_PATH,
      },
      localDevelopment: isLocalDevelopment(config),
    });
    return { status: worstStatus(checks), checks };
  } finally {
    await embedQueue.close().catch(() => undefined);
    redis.disconnect();
    await pool.end();
  }
}
