import { codeOf, meaningOf, type JobFate } from '@vectorizer/errors';

/** What happens to a job whose attempt failed; the error registry (`meaningOf`) decides the action. */
export type FailureAction = JobFate;

export interface Failure {
  action: FailureAction;
  /** Stable code for the dead letters, metrics and logs, e.g. FETCH_NOT_FOUND. */
  code: string;
  message: string;
  /** The server asked us to wait this long before trying again (Retry-After). */
  retryAfterMs?: number;
}

export function classifyFailure(error: unknown): Failure {
  // Duck-typed: errors from Node core or a worker thread may come from another realm.
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    message?: unknown;
    retryAfterMs?: unknown;
  };
  const code = codeOf(error) ?? 'UNEXPECTED_ERROR';
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const action = meaningOf(code).job;
  const retryAfterMs =
    action === 'retry' && typeof fields.retryAfterMs === 'number' && fields.retryAfterMs > 0
      ? fields.retryAfterMs
      : undefined;
  return { action, code, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}
