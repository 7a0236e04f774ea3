import type { Job } from 'bullmq';
import { parseJobPayload, type JobPayload } from '@vectorizer/queue';
import type { PipelineMetrics } from '@vectorizer/telemetry';
import { JobModelMismatchError } from './errors';
import type { FailureRouter } from './failure-router';
import type { PreparedImage } from './prepare-image';

export interface EmbedJobHandlerDeps {
  /** The model this worker embeds with; jobs for another model are refused. */
  modelId: string;
  prepare: (payload: JobPayload, signal?: AbortSignal) => Promise<PreparedImage>;
  /** Takes one prepared image into the next batch; resolves once its row is committed. */
  submit: (image: PreparedImage) => Promise<void>;
  router: FailureRouter;
  metrics: PipelineMetrics;
}

/**
 * The processor of one `embed` job: validate, fetch + decode (concurrently with other jobs), join
 * the next batch and wait for its commit. Any failure goes through the FailureRouter, which throws.
 */
export function createEmbedJobHandler(
  deps: EmbedJobHandlerDeps,
): (job: Job, token?: string, signal?: AbortSignal) => Promise<void> {
  return async (job, token, signal) => {
    try {
      const payload = parseJobPayload(job.data);
      if (payload.model !== deps.modelId) throw new JobModelMismatchError(payload.model, deps.modelId);
      const prepared = await deps.prepare(payload, signal);
      await deps.submit(prepared);
      deps.metrics.jobsCompleted.inc();
    } catch (error) {
      await deps.router.settle(job, token, error);
    }
  };
}
