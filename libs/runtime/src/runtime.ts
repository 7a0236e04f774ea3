import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Config } from '@vectorizer/config';
import { ensureDevModel } from '@vectorizer/dev-model';
import { planWorkerThreads } from '@vectorizer/devices';
import {
  Embedder,
  assertDevModelAllowed,
  resolveModel,
  resolveOptionsFromConfig,
  type EmbedderStartOptions,
  type ResolvedModel,
} from '@vectorizer/embedder';
import { decodeLimitsFromConfig } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import {
  DeadLetters,
  connectForCommand,
  createEmbedQueue,
  retentionFromSettings,
  type EmbedQueue,
} from '@vectorizer/queue';
import { createPool, poolOptionsFromConfig, probePostgres } from '@vectorizer/store';
import { inSpan as runInSpan, startTracing as startOtlpTracing, type Tracing } from '@vectorizer/telemetry';

/** The one sentence every process says when it runs the generated model. */
export function devModelNotice(model: { id: string }): string {
  return `dev model ${model.id} (random weights): results mean nothing; set MODEL_ID or MODEL_DIR`;
}

export interface QueueServices {
  connection: Redis;
  queue: EmbedQueue;
  /** The embed queue's failed jobs. */
  deadLetters: DeadLetters;
  close(): Promise<void>;
}

/**
 * The composition root: settings → the services every app runs on (the model, the embedder, the
 * embed queue with its retry policy and retention, the database pool). Each app asks here and
 * nowhere else, so a setting's meaning is wired once.
 */
export class Runtime {
  private readonly models = new Map<string, Promise<ResolvedModel>>();

  constructor(
    readonly config: Config,
    readonly logger: Logger,
  ) {}

  /**
   * The configured model: MODEL_DIR (or `modelDir`) → MODEL_ID in the Hugging Face cache → the
   * generated dev model. Resolved once per directory. The dev model is refused with NODE_ENV=production
   * unless ALLOW_DEV_MODEL=true (DEV_MODEL_IN_PRODUCTION), the same rule for every process; commands
   * that only inspect model files pass `inspectOnly`. Otherwise its notice is said once.
   */
  model(modelDir?: string, options: { inspectOnly?: boolean } = {}): Promise<ResolvedModel> {
    const key = `${options.inspectOnly ? 'inspect' : 'use'}:${modelDir ?? ''}`;
    let resolved = this.models.get(key);
    if (!resolved) {
      resolved = resolveModel({ ...resolveOptionsFromConfig(this.config, modelDir), ensureDevModel }).then((model) => {
        if (!options.inspectOnly) assertDevModelAllowed(this.config, model);
        if (model.isDevModel) this.logger.warn({ model: model.id }, devModelNotice(model));
        return model;
      });
      // A failure is not cached: the next ask tries again (a file fixed meanwhile).
      resolved.catch(() => this.models.delete(key));
      this.models.set(key, resolved);
    }
    return resolved;
  }

  /** The model id jobs and embeddings are keyed by: `override` when given, else the configured model's. */
  async modelId(override?: string): Promise<string> {
    return override ?? (await this.model()).id;
  }

  /**
   * An embedder on the configured device with the configured decode limits and thread plan, for a
   * process's own short work (a CLI search, `embed`, a check); workers size theirs from their plan.
   */
  startEmbedder(
    model: ResolvedModel,
    options: Partial<Omit<EmbedderStartOptions, 'model' | 'logger'>> = {},
  ): Promise<Embedder> {
    const { config } = this;
    const threads =
      options.threads ??
      planWorkerThreads({ device: config.VECTORIZER_DEVICE, inferenceThreads: config.INFERENCE_THREADS })
        .inferenceThreads;
    return Embedder.start({
      model,
      device: config.VECTORIZER_DEVICE,
      allowCpuFallback: config.ALLOW_CPU_FALLBACK,
      maxBatchSize: 1,
      decodeLimits: decodeLimitsFromConfig(config),
      logger: this.logger,
      ...options,
      threads,
    });
  }

  /** The embed queue on `connection`, with the configured retry policy (JOB_*) and retention (QUEUE_KEEP_*). */
  embedQueue(connection: Redis): EmbedQueue {
    const { config } = this;
    return createEmbedQueue({
      connection,
      prefix: config.QUEUE_PREFIX,
      retryPolicy: { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS },
      retention: retentionFromSettings(config),
    });
  }

  /** The embed queue and its dead letters on one fail-fast connection (REDIS_UNAVAILABLE when Redis is down). */
  async openQueues(): Promise<QueueServices> {
    const connection = await connectForCommand(this.config.REDIS_URL);
    const queue = this.embedQueue(connection);
    return {
      connection,
      queue,
      deadLetters: new DeadLetters(queue),
      close: async () => {
        await queue.close();
        await connection.quit();
      },
    };
  }

  /**
   * A pool after one successful round trip, so a database that cannot be used is reported at once
   * with the URL (password masked), the cause and a fix (pg itself would wait forever on a
   * black-holed host).
   */
  async openDatabase(options: { max?: number; schema?: string } = {}): Promise<pg.Pool> {
    await probePostgres(this.config.DATABASE_URL);
    return this.pool(options);
  }

  /** A pool with the configured timeouts, connecting lazily: for processes that ride out outages. */
  pool(
    options: { max?: number; schema?: string; statementTimeoutMs?: number; onIdleError?: (error: Error) => void } = {},
  ): pg.Pool {
    return createPool(this.config.DATABASE_URL, {
      ...poolOptionsFromConfig(this.config),
      ...(options.max === undefined ? {} : { max: options.max }),
      ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.onIdleError ? { onIdleError: options.onIdleError } : {}),
    });
  }

  /** Tracing for this process under `serviceName` (OTEL_SERVICE_NAME wins); undefined while no OTLP endpoint is set. */
  startTracing(serviceName: string): Tracing | undefined {
    return startOtlpTracing(this.config, serviceName);
  }

  /** Runs `work` in a span named `name` (a no-op span while tracing is off). */
  inSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
    return runInSpan(name, work);
  }
}
