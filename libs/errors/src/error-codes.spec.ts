import { EXIT_CANNOT_WORK, EXIT_RESTART, codeOf, isRegisteredCode, meaningOf } from './error-codes';

describe('error registry', () => {
  it.each([
    ['FETCH_NOT_FOUND', 'dead-letter', EXIT_RESTART, 422],
    ['FETCH_HTTP_5XX', 'retry', EXIT_RESTART, 502],
    ['EMBEDDING_NOT_FINITE', 'dead-letter', EXIT_RESTART, 500],
    ['POSTGRES_UNAVAILABLE', 'postpone', EXIT_RESTART, 503],
    ['POSTGRES_DATABASE_MISSING', 'postpone', EXIT_CANNOT_WORK, 503],
    ['MODEL_FILE_CORRUPT', 'stop-worker', EXIT_CANNOT_WORK, 503],
    ['PRODUCT_NOT_FOUND', 'dead-letter', EXIT_RESTART, 404],
    ['IMAGE_TOO_LARGE', 'dead-letter', EXIT_RESTART, 413],
  ])('%s: job %s, exit %d, HTTP %d', (code, job, exit, http) => {
    expect(meaningOf(code)).toMatchObject({ job, exit, http });
    expect(isRegisteredCode(code)).toBe(true);
  });

  it('treats unknown codes as transient: retry, restart, 500', () => {
    expect(meaningOf('SOMETHING_NEW')).toEqual({ job: 'retry', exit: EXIT_RESTART, http: 500 });
    expect(meaningOf(undefined)).toEqual({ job: 'retry', exit: EXIT_RESTART, http: 500 });
    expect(isRegisteredCode('SOMETHING_NEW')).toBe(false);
    expect(isRegisteredCode('toString')).toBe(false);
  });

  it('reads the code of any error-like value', () => {
    expect(codeOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(codeOf({ code: '' })).toBeUndefined();
    expect(codeOf('a string')).toBeUndefined();
    expect(codeOf(null)).toBeUndefined();
  });
});
