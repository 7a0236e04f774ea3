import { VectorizerError } from '@vectorizer/errors';
import { redactUrl } from '@vectorizer/logger';

/** Redis did not answer; raised by commands that must fail fast instead of waiting for it. */
export class RedisUnavailableError extends VectorizerError {
  constructor(redisUrl: string, cause?: unknown) {
    super('REDIS_UNAVAILABLE', `Redis is unreachable at ${redactUrl(redisUrl)}`, {
      hint: 'start Redis or point REDIS_URL at a running server (e.g. redis://127.0.0.1:6379)',
      cause,
    });
  }
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
