import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { parseJobPayload, type JobPayload } from '@vectorizer/queue';
import type { Logger } from '@vectorizer/logger';
import type { PipelineMetrics } from '@vectorizer/telemetry';
import type { BatchOutcome } from './batch-embedder';
import { DependencyUnavailableError, JobModelMismatchError, type Dependency } from './errors';
import { classifyFailure } from './failure-policy';
import type { PreparedImage } from './prepare-image';

/**
 * What a finished job returns to BullMQ (its `returnvalue`, shown in Bull Board): `reused` when its
 * row got the vector of identical image bytes (same sha256, same model) without inference.
 */
export type JobResult = 'embedded' | 'reused' | 'superseded';

export interface EmbeddingJobServiceDeps {
  /** The model this worker embeds with; jobs for another model are refused. */
  modelId: string;
  /** Fetch + decode of one image (within the worker's memory budget). */
  prepare: (payload: JobPayload, signal?: AbortSignal) => Promise<PreparedImage>;
  /** Takes one prepared image into the next batch; resolves with its own outcome. */
  submit: (image: PreparedImage) => Promise<BatchOutcome>;
  /** The dependency the worker is paused for, if any: such a job is put back untouched. */
  downDependency: () => Dependency | undefined;
  /** Pauses intake until the dependency answers again. */
  reportOutage: (dependency: Dependency, cause: unknown) => void;
  /** Called when a failure says this worker cannot embed anything. */
  onWorkerBroken: (error: unknown) => void;
  metrics: PipelineMetrics;
  logger: Logger;
  /** How long a postponed job waits in `delayed` before it is offered again. */
  postponeMs: number;
}

/**
 * Decides each embedding job's fate in one place: embed it, complete it as superseded, retry it,
 * postpone it (without spending an attempt) or dead-letter it. BullMQ learns the fate from what
 * `process` returns or throws:
 * - returns:                 completed (`embedded`, `reused` or `superseded`);
 * - throws UnrecoverableError: failed now, no retries: dead-lettered;
 * - throws the failure:      BullMQ retries with backoff, and fails it after the last attempt;
 * - throws DelayedError:     back to `delayed`, the attempt not counted.
 * A failed job's reason starts with its error code (`FETCH_NOT_FOUND: …`): the dead letters, the
 * CLI and Bull Board all read the code from there. A handler that swallowed an error would turn
 * every retry policy into a silent success, so every failure leaves through `settle`.
 */
export class EmbeddingJobService {
  constructor(private readonly deps: EmbeddingJobServiceDeps) {}

  async process(job: Job, token?: string, signal?: AbortSignal): Promise<JobResult> {
    try {
      const payload = parseJobPayload(job.data);
      if (payload.model !== this.deps.modelId) throw new JobModelMismatchError(payload.model, this.deps.modelId);
      const down = this.deps.downDependency();
      // Taken just before the pause landed: no fetch, no inference that could not be written.
      if (down) throw new DependencyUnavailableError(down, 'the worker is paused until it answers again');
      const prepared = await this.deps.prepare(payload, signal);
      const outcome = await this.deps.submit(prepared);
      if (outcome.status === 'failed') throw outcome.error;
      if (outcome.status === 'superseded') {
        this.deps.metrics.jobsSuperseded.inc();
        this.deps.logger.debug(
          { jobId: job.id, productId: payload.productId },
          "superseded: the product's image changed while the job ran; the newer job's embedding stands",
        );
      } else {
        // A reused vector is as durable as an inferred one: the job completes either way.
        this.deps.metrics.jobsCompleted.inc();
      }
      return outcome.status;
    } catch (error) {
      return this.settle(job, token, error);
    }
  }

  private async settle(job: Job, token: string | undefined, error: unknown): Promise<never> {
    const failure = classifyFailure(error);
    const { metrics, logger } = this.deps;
    const log = logger.child({
      jobId: job.id,
      productId: (job.data as { productId?: unknown } | undefined)?.productId,
      code: failure.code,
    });
    const reason = `${failure.code}: ${failure.message}`;
    switch (failure.action) {
      case 'postpone': {
        const dependency = error instanceof DependencyUnavailableError ? error.dependency : 'postgres';
        this.deps.reportOutage(dependency, error);
        metrics.jobsPostponed.inc({ reason: failure.code });
        return this.putBack(job, token);
      }
      case 'stop-worker':
        log.error({ err: error }, `this worker cannot embed: ${failure.message}`);
        this.deps.onWorkerBroken(error);
        return this.putBack(job, token);
      case 'dead-letter':
        metrics.jobsFailed.inc({ code: failure.code, kind: 'permanent' });
        metrics.jobsDeadLettered.inc({ code: failure.code });
        log.warn({ err: error }, `job dead-lettered: ${failure.message}`);
        throw new UnrecoverableError(reason);
      case 'retry': {
        metrics.jobsFailed.inc({ code: failure.code, kind: 'transient' });
        const attempts = job.opts.attempts ?? 1;
        // This attempt is not yet counted by BullMQ when the processor decides.
        if (job.attemptsMade + 1 >= attempts) {
          metrics.jobsDeadLettered.inc({ code: failure.code });
          log.warn({ err: error, attempts }, `job dead-lettered after its last attempt: ${failure.message}`);
        } else {
          log.info({ err: error, attempt: job.attemptsMade + 1, attempts }, `job will be retried: ${failure.message}`);
        }
        throw Object.assign(new Error(reason, { cause: error }), {
          code: failure.code,
          retryAfterMs: failure.retryAfterMs,
        });
      }
    }
  }

  /**
   * Back to `delayed` without counting an attempt. If Redis itself is down the move fails too; the
   * job then stays active until its lock expires and the stalled-job check returns it to `wait`.
   */
  private async putBack(job: Job, token: string | undefined): Promise<never> {
    try {
      await job.moveToDelayed(Date.now() + this.deps.postponeMs, token);
    } catch (error) {
      this.deps.logger.debug(
        { jobId: job.id, err: error },
        'could not put the job back; the stalled-job check will return it',
      );
    }
    throw new DelayedError();
  }
}
