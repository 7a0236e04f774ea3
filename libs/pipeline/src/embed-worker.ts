import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { settlesWithin } from '@vectorizer/errors';
import { EMBED_QUEUE, embedBackoffStrategy } from '@vectorizer/queue';
import type { DecodeLimits, PreprocessPlan, PreprocessorConfig } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import { activeSpanContext, bullmqTelemetry, inSpan, type PipelineMetrics } from '@vectorizer/telemetry';
import { createBatchEmbedder, type BatchOutcome, type EmbeddingWriter, type PixelEmbedder } from './batch-embedder';
import { isConnectionError } from './connection-errors';
import { EmbeddingJobService } from './embedding-job-service';
import type { Dependency } from './errors';
import { MemoryBudget } from './memory-budget';
import { MicroBatcher } from './micro-batcher';
import { OutageGuard } from './outage-guard';
import { prepareImage, type ImageSource, type PreparedImage } from './prepare-image';

export type WorkerState = 'starting' | 'running' | 'paused' | 'draining' | 'closed';

export interface EmbedWorkerOptions {
  /** A connection made for Workers (maxRetriesPerRequest: null), e.g. createWorkerConnection. */
  connection: Redis;
  prefix: string;
  /** Jobs held at once: fetching, decoding, waiting in a batch or in inference. */
  concurrency: number;
  batch: {
    maxBatchSize: number;
    maxWaitMs: number;
    /** Default 2: inference of the next batch may start while the previous one is written. */
    maxInFlight?: number;
  };
  /**
   * How long a job's lock lasts without renewal. BullMQ renews it from the event loop, which stays
   * free during inference (it runs in a thread); keep it several times the worst batch latency.
   */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Times a job may be found stalled (its worker died) before it fails; default 3. */
  maxStalledCount?: number;
  embedder: PixelEmbedder;
  preprocessor: PreprocessorConfig;
  decodeLimits: DecodeLimits;
  /** planPreprocess in production: the header read, the decode's memory cost, then the decode. */
  preprocess: (bytes: Buffer, config: PreprocessorConfig, limits: DecodeLimits) => Promise<PreprocessPlan>;
  /**
   * Bytes the decodes of all jobs in hand may hold at once (each weighted by its plan's
   * memoryBytes): bounds a worker's memory whatever the concurrency.
   */
  decodeMemoryBudgetBytes: number;
  fetcher: ImageSource;
  embeddings: EmbeddingWriter;
  /**
   * Resolve when the dependency answers on a FRESH connection within a timeout (a pooled or
   * reconnecting one can hide an outage or hang): they decide whether a failure is an outage.
   */
  probes: Record<Dependency, () => Promise<void>>;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Delay of a job put back during an outage; default 2000 ms. */
  postponeMs?: number;
  outageProbe?: { initialIntervalMs?: number; maxIntervalMs?: number };
  /** Called once when a failure shows this worker cannot embed at all (the process should exit). */
  onWorkerBroken?: (error: unknown) => void;
}

export type CloseResult = 'drained' | 'timed-out';

/**
 * One BullMQ Worker whose jobs go through the EmbeddingJobService, batched across jobs, with the
 * outage pause and a graceful stop that keeps its deadline. Start it only after the embedder
 * passed its self-test and the schema was checked: from `start()` on, it takes jobs.
 */
export class EmbedWorker {
  private worker: Worker | undefined;
  private readonly guard: OutageGuard;
  private readonly batcher: MicroBatcher<PreparedImage, BatchOutcome>;
  private currentState: WorkerState = 'starting';
  private brokenReported = false;

  constructor(private readonly options: EmbedWorkerOptions) {
    const { metrics, logger } = options;
    this.guard = new OutageGuard({
      consumer: {
        pause: (doNotWaitActive) => this.requireWorker().pause(doNotWaitActive),
        resume: async () => this.requireWorker().resume(),
      },
      probes: options.probes,
      logger,
      initialProbeIntervalMs: options.outageProbe?.initialIntervalMs,
      maxProbeIntervalMs: options.outageProbe?.maxIntervalMs,
      onPausedChange: (paused) => {
        metrics.workerPaused.set(paused ? 1 : 0);
        if (this.currentState === 'running' || this.currentState === 'paused')
          this.currentState = paused ? 'paused' : 'running';
      },
    });
    this.batcher = new MicroBatcher<PreparedImage, BatchOutcome>({
      maxBatchSize: options.batch.maxBatchSize,
      maxWaitMs: options.batch.maxWaitMs,
      maxInFlight: options.batch.maxInFlight ?? 2,
      run: createBatchEmbedder({
        embedder: options.embedder,
        embeddings: options.embeddings,
        metrics,
        downDependency: () => this.guard.down,
        postgresIsDown: (error) => this.isDown('postgres', error),
      }),
    });
  }

  get state(): WorkerState {
    return this.currentState;
  }

  start(): void {
    if (this.worker) throw new Error('EmbedWorker already started');
    const { options } = this;
    const imageDeps = {
      fetcher: options.fetcher,
      preprocess: options.preprocess,
      preprocessor: options.preprocessor,
      decodeLimits: options.decodeLimits,
      metrics: options.metrics,
      budget: new MemoryBudget(options.decodeMemoryBudgetBytes),
    };
    const service = new EmbeddingJobService({
      modelId: options.embedder.modelId,
      prepare: (payload, signal) => prepareImage(payload, imageDeps, signal),
      // The job's wait for its batch, linked (with tracing on) to the batch's own trace.
      submit: (image) =>
        inSpan('vectorizer.batch.join', (span) => {
          const context = span.spanContext();
          const traced: PreparedImage = activeSpanContext()
            ? { ...image, trace: { context, joinedBatch: (batch) => span.addLink({ context: batch }) } }
            : image;
          return this.batcher.submit(traced);
        }),
      downDependency: () => this.guard.down,
      reportOutage: (dependency, cause) => this.guard.report(dependency, cause),
      onWorkerBroken: (error) => {
        if (this.brokenReported) return;
        this.brokenReported = true;
        // Stop taking jobs at once; the owner decides how to exit.
        void this.worker?.pause(true);
        options.onWorkerBroken?.(error);
      },
      metrics: options.metrics,
      logger: options.logger,
      postponeMs: options.postponeMs ?? 2_000,
    });
    this.worker = new Worker(EMBED_QUEUE, (job, token, signal) => service.process(job, token, signal), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount ?? 3,
      autorun: true,
      // The retry delay, Retry-After included, is decided when BullMQ schedules the retry.
      settings: { backoffStrategy: embedBackoffStrategy },
      // BullMQ's own telemetry (bullmq-otel) while tracing is on: the job's span joins its product's trace.
      telemetry: bullmqTelemetry(),
    });
    this.worker.on('error', (error) => this.onQueueError(error));
    this.currentState = 'running';
  }

  /**
   * Graceful stop within `timeoutMs`, whatever state the dependencies are in: takes no new job,
   * lets the jobs it holds finish (their batch embeds and commits, or they are put back during an
   * outage), then closes the BullMQ worker. On timeout the owner exits the process, which drops
   * the connections and leaves the held jobs to the stalled-job check; rows are written
   * idempotently, so nothing is lost or doubled. A close that fails rejects with its error.
   */
  async close(timeoutMs: number): Promise<CloseResult> {
    if (!this.worker) {
      this.currentState = 'closed';
      return 'drained';
    }
    this.currentState = 'draining';
    const worker = this.worker;
    try {
      const drained = await settlesWithin(timeoutMs, async () => {
        await this.guard.close();
        await worker.close();
      });
      return drained ? 'drained' : 'timed-out';
    } finally {
      this.currentState = 'closed';
    }
  }

  /** A failure is an outage when it says so, or when the dependency's own probe fails too. */
  private async isDown(dependency: Dependency, error: unknown): Promise<boolean> {
    if (isConnectionError(error)) return true;
    try {
      await this.options.probes[dependency]();
      return false;
    } catch {
      return true;
    }
  }

  /**
   * BullMQ reports every failed Redis call here, several a second during an outage. The guard logs
   * one line when Redis goes and one when it is back; the repeats go to debug.
   */
  private onQueueError(error: Error): void {
    if (isConnectionError(error)) {
      this.guard.report('redis', error);
      this.options.logger.debug({ err: error }, 'Redis call failed');
      return;
    }
    this.options.logger.error({ err: error }, 'queue worker error');
  }

  private requireWorker(): Worker {
    if (!this.worker) throw new Error('EmbedWorker not started');
    return this.worker;
  }
}
