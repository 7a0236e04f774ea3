import { ImageError } from '@vectorizer/images';
import { EmbedderError } from '@vectorizer/embedder';
import { InvalidJobPayloadError } from '@vectorizer/queue';
import { isConnectionError } from './connection-errors';
import { DependencyUnavailableError, JobModelMismatchError } from './errors';
import { classifyFailure } from './failure-policy';

describe('classifyFailure', () => {
  it.each([
    [new ImageError('FETCH_NOT_FOUND', 'gone'), 'dead-letter', 'FETCH_NOT_FOUND'],
    [new ImageError('IMAGE_CORRUPT', 'bad bytes'), 'dead-letter', 'IMAGE_CORRUPT'],
    [new ImageError('IMAGE_TOO_MANY_PIXELS', 'bomb'), 'dead-letter', 'IMAGE_TOO_MANY_PIXELS'],
    [new ImageError('FETCH_URL_REFUSED', 'private'), 'dead-letter', 'FETCH_URL_REFUSED'],
    [new InvalidJobPayloadError('productId: required'), 'dead-letter', 'INVALID_JOB_PAYLOAD'],
    [new JobModelMismatchError('a', 'b'), 'dead-letter', 'JOB_MODEL_MISMATCH'],
    [new ImageError('FETCH_HTTP_5XX', '503'), 'retry', 'FETCH_HTTP_5XX'],
    [new ImageError('FETCH_TIMEOUT', 'slow'), 'retry', 'FETCH_TIMEOUT'],
    [new EmbedderError('INFERENCE_OUT_OF_MEMORY', 'even batch 1'), 'retry', 'INFERENCE_OUT_OF_MEMORY'],
    [new Error('something nobody expected'), 'retry', 'UNEXPECTED_ERROR'],
    [new DependencyUnavailableError('postgres', new Error('connect ECONNREFUSED')), 'postpone', 'POSTGRES_UNAVAILABLE'],
    [new EmbedderError('INFERENCE_THREAD_DIED', 'thread exited'), 'stop-worker', 'INFERENCE_THREAD_DIED'],
    [new EmbedderError('MODEL_LOAD_FAILED', 'bad file'), 'stop-worker', 'MODEL_LOAD_FAILED'],
  ])('%s → %s', (error, action, code) => {
    expect(classifyFailure(error)).toMatchObject({ action, code, message: (error as Error).message });
  });

  it('carries Retry-After of a retryable image error', () => {
    const failure = classifyFailure(new ImageError('FETCH_RATE_LIMITED', '429', { retryAfterMs: 30_000 }));
    expect(failure).toEqual({ action: 'retry', code: 'FETCH_RATE_LIMITED', message: '429', retryAfterMs: 30_000 });
  });

  it('classifies non-Error throws without crashing', () => {
    expect(classifyFailure('a string')).toMatchObject({
      action: 'retry',
      code: 'UNEXPECTED_ERROR',
      message: 'a string',
    });
  });
});

describe('isConnectionError', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it.each([
    withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    withCode('read ECONNRESET', 'ECONNRESET'),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('the database system is starting up', '57P03'),
    withCode('sorry, too many clients already', '53300'),
    new Error('Connection terminated unexpectedly'),
    new Error('Connection is closed.'),
    new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed'),
    new Error('upsert failed', { cause: withCode('socket hang up', 'ECONNRESET') }),
  ])('recognises %s', (error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    withCode('duplicate key value violates unique constraint', '23505'),
    withCode('expected 64 dimensions, not 32', '22000'),
    new Error('syntax error'),
    'ECONNREFUSED',
    undefined,
  ])('does not mistake %s for an outage', (error) => {
    expect(isConnectionError(error)).toBe(false);
  });
});
