import { meaningOf } from '@vectorizer/errors';
import { jobIdFor, parseFailedReason, readJobStatus, type JobState, type JobStatus } from '@vectorizer/queue';
import {
  EmbeddingsRepository,
  ProductNotFoundError,
  ProductsRepository,
  type StoredEmbedding,
} from '@vectorizer/store';
import type { Queue } from 'bullmq';
import type { Pool } from 'pg';

/** Why a product is (or is not) embedded for a model: one word, the answer's first field to read. */
export type ProductVerdict =
  'up-to-date' | 'queued' | 'processing' | 'retrying' | 'dead-lettered' | 'pending' | 'superseded';

/** `vectorizer explain --json` and `GET /api/products/:id/status` answer exactly this. */
export interface ProductExplanation {
  productId: string;
  model: string;
  verdict: ProductVerdict;
  /** The job that decides the verdict, when there is one. */
  job?: {
    id: string;
    state: JobState;
    attemptsMade: number;
    /** Of a dead-lettered job, or of the last failed attempt of a retrying one. */
    code?: string;
    reason?: string;
    hint?: string;
    /** A retrying (delayed) job: when it runs next, ISO 8601. */
    nextRunAt?: string;
  };
  /** The stored vector, fresh or stale. */
  embedding?: { embeddedAt: string; imageUrl: string; reused: boolean };
  /** One sentence for a person. */
  message: string;
}

export interface ExplainDependencies {
  pool: Pool;
  /** The embed queue. */
  queue: Queue;
}

const WAITING_STATES: ReadonlySet<JobState> = new Set(['waiting', 'prioritized', 'waiting-children']);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Decides the verdict for one product and model from the product row, its embedding row and the
 * job keyed by (product, current image, model). Jobs are found by their deterministic id, never by
 * scanning the queue. A job in the queue (waiting, running, retrying) comes first, even when an up
 * to date vector exists (a re-embed in flight); then a fresh vector; then what the job's end says.
 */
export async function explainProduct(
  deps: ExplainDependencies,
  productId: string,
  model: string,
): Promise<ProductExplanation> {
  const product = await new ProductsRepository(deps.pool).get(productId);
  if (!product) throw new ProductNotFoundError(productId);
  const [stored, job] = await Promise.all([
    new EmbeddingsRepository(deps.pool).rowOf(productId, model),
    readJobStatus(deps.queue, jobIdFor(productId, product.imageUrl, model)),
  ]);
  const fresh = stored !== undefined && stored.imageUrl === product.imageUrl;
  const base = { productId, model, ...(stored ? { embedding: embeddingOf(stored) } : {}) };
  const enqueueFix = `\`vectorizer enqueue --ids ${productId} --model ${model}\``;

  if (job && job.state === 'active') {
    return {
      ...base,
      verdict: 'processing',
      job: jobOf(job),
      message: `processing: a worker is embedding it now (attempt ${job.attemptsMade + 1} of ${job.attempts}).`,
    };
  }
  if (job && job.state === 'delayed') {
    const next = job.nextRunAt ? job.nextRunAt.toISOString() : 'when its delay expires';
    const message = job.failure
      ? `retrying: attempt ${job.attemptsMade} of ${job.attempts} failed with ${job.failure.code}: ${job.failure.message}; runs next at ${next}.`
      : `retrying: put back without using an attempt (a dependency was unavailable); runs next at ${next}.`;
    return { ...base, verdict: 'retrying', job: jobOf(job), message };
  }
  if (job && WAITING_STATES.has(job.state)) {
    return {
      ...base,
      verdict: 'queued',
      job: jobOf(job),
      message: `queued: job ${job.id} waits in the embed queue for a worker${job.attemptsMade > 0 ? ` (${plural(job.attemptsMade, 'attempt')} made)` : ''}.`,
    };
  }
  if (fresh) {
    return {
      ...base,
      verdict: 'up-to-date',
      ...(job ? { job: jobOf(job) } : {}),
      message: `up to date: embedded at ${stored.embeddedAt.toISOString()} from its current image${stored.reused ? ' (vector copied from an identical image)' : ''}.`,
    };
  }
  if (job && job.state === 'failed') {
    const failure = job.failure ?? parseFailedReason(undefined);
    const hint = meaningOf(failure.code).hint;
    return {
      ...base,
      verdict: 'dead-lettered',
      job: jobOf(job),
      message: `dead-lettered after ${plural(job.attemptsMade, 'attempt')}: ${failure.code}: ${failure.message}${hint ? ` — fix: ${hint}` : ''} — retry with \`vectorizer dlq retry ${job.id}\`.`,
    };
  }
  if (job && job.state === 'completed' && job.returnValue === 'superseded') {
    return {
      ...base,
      verdict: 'superseded',
      job: jobOf(job),
      message: `superseded: its job completed without a write because the product's image changed while it ran, and no job holds the image it has now; enqueue it with ${enqueueFix}.`,
    };
  }
  // A stale vector: the job for that older image may have ended superseded by the current one.
  const previous =
    stored && !fresh ? await readJobStatus(deps.queue, jobIdFor(productId, stored.imageUrl, model)) : undefined;
  if (previous && previous.state === 'completed' && previous.returnValue === 'superseded') {
    return {
      ...base,
      verdict: 'superseded',
      job: jobOf(previous),
      message: `superseded: the job for its previous image ${stored?.imageUrl} completed without a write because the image changed while it ran, and no job holds the current one; enqueue it with ${enqueueFix}.`,
    };
  }
  const what = stored ? 'its stored vector is of an older image' : 'it has no vector yet';
  return {
    ...base,
    verdict: 'pending',
    ...(job ? { job: jobOf(job) } : {}),
    message: `pending: ${what} and no job holds it; the queue window leaves it in Postgres until the reconcile loop of \`vectorizer worker\` or \`vectorizer watch\` enqueues it, or run ${enqueueFix} now.`,
  };
}

function embeddingOf(stored: StoredEmbedding): NonNullable<ProductExplanation['embedding']> {
  return { embeddedAt: stored.embeddedAt.toISOString(), imageUrl: stored.imageUrl, reused: stored.reused };
}

function jobOf(job: JobStatus): NonNullable<ProductExplanation['job']> {
  const out: NonNullable<ProductExplanation['job']> = { id: job.id, state: job.state, attemptsMade: job.attemptsMade };
  if (job.failure && (job.state === 'failed' || job.state === 'delayed')) {
    out.code = job.failure.code;
    out.reason = job.failure.message;
    const hint = meaningOf(job.failure.code).hint;
    if (hint !== undefined) out.hint = hint;
  }
  if (job.state === 'delayed' && job.nextRunAt) out.nextRunAt = job.nextRunAt.toISOString();
  return out;
}
