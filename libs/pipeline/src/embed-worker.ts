import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { EMBED_QUEUE } from '@vectorizer/queue';
import type { DecodeLimits, PreprocessorConfig } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import type { PipelineMetrics } from '@vectorizer/telemetry';
import { createBatchEmbedder, type EmbeddingWriter, type PixelEmbedder } from './embed-batch';
import { createEmbedJobHandler } from './embed-job-handler';
import type { Dependency } from './errors';
import { FailureRouter } from './failure-router';
import { MicroBatcher } from './micro-batcher';
import { OutageGuard } from './outage-guard';
import { prepareImage, type ImageSource, type PreparedImage } from './prepare-image';

export type WorkerState = 'starting' | 'running' | 'paused' | 'draining' | 'closed';

export interface EmbedWorkerOptions {
  /** A connection made for Workers (maxRetriesPerRequest: null), e.g. createWorkerConnection. */
  connection: Redis;
  prefix: string;
  /** Jobs held at once: fetching, decoding, waiting in a batch or in inference. Bounds memory. */
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
  preprocess: (bytes: Buffer, config: PreprocessorConfig, limits: DecodeLimits) => Promise<Float32Array>;
  fetcher: ImageSource;
  embeddings: EmbeddingWriter;
  /** Resolve when the dependency answers (e.g. SELECT 1, PING). */
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
 * One BullMQ Worker whose jobs are embedded in batches across jobs, with the failure routing,
 * outage pause and graceful drain around it. Start it only after the embedder passed its self-test
 * and the schema was checked: from `start()` on, it takes jobs.
 */
export class EmbedWorker {
  private worker: Worker | undefined;
  private readonly guard: OutageGuard;
  private readonly batcher: MicroBatcher<PreparedImage, void>;
  private currentState: WorkerState = 'starting';
  private brokenReported = false;

  constructor(private readonly options: EmbedWorkerOptions) {
    const { metrics, logger } = options;
    this.batcher = new MicroBatcher<PreparedImage, void>({
      maxBatchSize: options.batch.maxBatchSize,
      maxWaitMs: options.batch.maxWaitMs,
      maxInFlight: options.batch.maxInFlight ?? 2,
      run: createBatchEmbedder({ embedder: options.embedder, embeddings: options.embeddings, metrics }),
    });
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
  }

  get state(): WorkerState {
    return this.currentState;
  }

  start(): void {
    if (this.worker) throw new Error('EmbedWorker already started');
    const { options } = this;
    const router = new FailureRouter({
      guard: this.guard,
      metrics: options.metrics,
      logger: options.logger,
      postponeMs: options.postponeMs ?? 2_000,
      onWorkerBroken: (error) => {
        if (this.brokenReported) return;
        this.brokenReported = true;
        // Stop taking jobs at once; the owner decides how to exit.
        void this.worker?.pause(true);
        options.onWorkerBroken?.(error);
      },
    });
    const imageDeps = {
      fetcher: options.fetcher,
      preprocess: options.preprocess,
      preprocessor: options.preprocessor,
      decodeLimits: options.decodeLimits,
      metrics: options.metrics,
    };
    const handler = createEmbedJobHandler({
      modelId: options.embedder.modelId,
      prepare: (payload, signal) => prepareImage(payload, imageDeps, signal),
      submit: (image) => this.batcher.submit(image),
      router,
      metrics: options.metrics,
    });
    this.worker = new Worker(EMBED_QUEUE, handler, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount ?? 3,
      autorun: true,
    });
    this.worker.on('failed', (job, error) => {
      // Honour Retry-After: BullMQ scheduled the retry with its own backoff; push it later if the
      // server asked for more.
      const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
      if (!job || typeof retryAfterMs !== 'number' || !(retryAfterMs > (job.delay ?? 0))) return;
      // Its last attempt failed: there is no retry to push back.
      if (job.attemptsMade >= (job.opts.attempts ?? 1)) return;
      job.changeDelay(retryAfterMs).catch((changeError: unknown) => {
        options.logger.debug(
          { jobId: job.id, err: changeError },
          'could not apply Retry-After (job no longer delayed)',
        );
      });
    });
    this.worker.on('error', (error) => options.logger.error({ err: error }, 'queue worker error'));
    this.currentState = 'running';
  }

  /**
   * Graceful stop: takes no new job, lets the jobs it holds finish (their batch embeds and commits),
   * then closes the BullMQ worker. After timeoutMs it force-closes; unfinished jobs are returned by
   * the stalled-job check of another worker, and their rows are written idempotently.
   */
  async close(timeoutMs: number): Promise<CloseResult> {
    if (!this.worker) {
      this.currentState = 'closed';
      return 'drained';
    }
    this.currentState = 'draining';
    await this.guard.close();
    const worker = this.worker;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed-out'>((resolve) => {
      timer = setTimeout(() => resolve('timed-out'), timeoutMs);
    });
    // BullMQ's close cannot be upgraded to a forced one once started; on timeout the owner exits
    // the process, which drops the connections and leaves the held jobs to the stalled-job check.
    const result = await Promise.race([worker.close().then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    this.currentState = 'closed';
    return result;
  }

  private requireWorker(): Worker {
    if (!this.worker) throw new Error('EmbedWorker not started');
    return this.worker;
  }
}
