import { VectorizerError } from '@vectorizer/errors';
import { redactUrl } from '@vectorizer/logger';

/** Redis did not answer; raised by commands that must fail fast instead of waiting for it. */
export class RedisUnavailableError extends VectorizerError {
  constructor(redisUrl: string, cause?: unknown) {
    const why = redisFailureReason(cause);
    super('REDIS_UNAVAILABLE', `Redis is unreachable at ${redactUrl(redisUrl)}${why ? `: ${why}` : ''}`, {
      hint: 'start Redis or point REDIS_URL at a running server (e.g. redis://127.0.0.1:6379)',
      cause,
    });
  }
}

/** Redis answered but refused our credentials: a configuration error that no restart fixes. */
export class RedisAuthFailedError extends VectorizerError {
  constructor(redisUrl: string, cause: unknown) {
    super(
      'REDIS_AUTH_FAILED',
      `Redis at ${redactUrl(redisUrl)} refused the credentials: ${cause instanceof Error ? cause.message : String(cause)}`,
      { hint: 'Fix the user or password in REDIS_URL (redis://:PASSWORD@host:6379); restarting will not help.', cause },
    );
  }
}

function redisFailureReason(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(String((cause as Error | undefined)?.message)))
    return 'timed out';
  return cause instanceof Error ? cause.message : undefined;
}

/** The one reading of "Redis would not let us in": a wrong password is a configuration error, the rest an outage. */
export function describeRedisFailure(redisUrl: string, error: unknown): RedisUnavailableError | RedisAuthFailedError {
  if (error instanceof RedisUnavailableError || error instanceof RedisAuthFailedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i.test(message))
    return new RedisAuthFailedError(redisUrl, error);
  return new RedisUnavailableError(redisUrl, error);
}

/** A job's data does not match JobPayload (a foreign producer, or a corrupted entry). */
export class InvalidJobPayloadError extends VectorizerError {
  constructor(details: string, cause?: unknown) {
    super('INVALID_JOB_PAYLOAD', `invalid embedding job payload: ${details}`, {
      hint: 'jobs must carry { productId, imageUrl, model, enqueuedAt }; enqueue them with `vectorizer ingest` or `vectorizer enqueue`',
      cause,
    });
  }
}

/** Keeps passwords out of error messages and logs (the logger's redaction, for unparseable URLs too). */
export { redactUrl };
