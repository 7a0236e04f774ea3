import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '@vectorizer/logger';
import type { PipelineMetrics } from '@vectorizer/telemetry';
import { DependencyUnavailableError } from './errors';
import { classifyFailure } from './failure-policy';
import type { OutageGuard } from './outage-guard';

export interface FailureRouterDeps {
  guard: OutageGuard;
  metrics: PipelineMetrics;
  logger: Logger;
  /** How long a postponed job waits in `delayed` before it is offered again. */
  postponeMs: number;
  /** Called once when a failure says this worker cannot embed anything. */
  onWorkerBroken: (error: unknown) => void;
}

/**
 * Decides where a failed job goes and tells BullMQ by what it throws: the original error (retry
 * with backoff, or failed after the last attempt), UnrecoverableError (failed now, no retries) or
 * DelayedError (back to the queue, attempt not counted). Never returns: a handler that swallowed
 * the error would turn every retry policy into a silent success.
 */
export class FailureRouter {
  constructor(private readonly deps: FailureRouterDeps) {}

  async settle(job: Job, token: string | undefined, error: unknown): Promise<never> {
    const failure = classifyFailure(error);
    const log = this.deps.logger.child({
      jobId: job.id,
      productId: (job.data as { productId?: unknown })?.productId,
      code: failure.code,
    });
    switch (failure.action) {
      case 'postpone': {
        const dependency = error instanceof DependencyUnavailableError ? error.dependency : 'postgres';
        this.deps.guard.report(dependency, error);
        this.deps.metrics.jobsPostponed.inc({ reason: failure.code });
        return this.putBack(job, token);
      }
      case 'stop-worker':
        log.error({ err: error }, `this worker cannot embed: ${failure.message}`);
        this.deps.onWorkerBroken(error);
        return this.putBack(job, token);
      case 'dead-letter':
        this.deps.metrics.jobsFailed.inc({ code: failure.code, kind: 'permanent' });
        this.deps.metrics.jobsDeadLettered.inc({ code: failure.code });
        log.warn({ err: error }, `job failed permanently: ${failure.message}`);
        throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      case 'retry': {
        this.deps.metrics.jobsFailed.inc({ code: failure.code, kind: 'transient' });
        const attempts = job.opts.attempts ?? 1;
        if (job.attemptsMade + 1 >= attempts) {
          this.deps.metrics.jobsDeadLettered.inc({ code: failure.code });
          log.warn({ err: error, attempts }, `job failed on its last attempt: ${failure.message}`);
          // The failed reason of a dead letter starts with its code (see DeadLetters in libs/queue).
          throw new Error(`${failure.code}: ${failure.message}`, { cause: error });
        }
        log.info({ err: error, attempt: job.attemptsMade + 1, attempts }, `job will be retried: ${failure.message}`);
        throw error;
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
      this.deps.logger.warn(
        { jobId: job.id, err: error },
        'could not put the job back; the stalled-job check will return it',
      );
    }
    throw new DelayedError();
  }
}
