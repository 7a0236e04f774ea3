import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CANNOT_WORK, EXIT_RESTART, codeOf, isRegisteredCode, meaningOf, registeredCodes } from './error-codes';

const ROOT = join(__dirname, '../../..');

/**
 * Every code the sources raise: the first argument of an error constructor or `super(…)`, a `code:`
 * property of an error body, a constant typed ErrorCode, and the members of a library's `…Code` union;
 * in the first two places, both arms of a conditional (`code: missing ? 'A' : 'B'`).
 */
function codesRaisedInSource(): Map<string, string> {
  const files = execFileSync('git', ['ls-files', 'libs/*.ts', 'apps/*.ts'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && !file.endsWith('.spec.ts'));
  const raised = new Map<string, string>();
  const patterns = [
    /(?:new\s+\w*Error|super)\(\s*'([A-Z][A-Z0-9_]+)'/g,
    /\bcode:\s*'([A-Z][A-Z0-9_]+)'/g,
    /: ErrorCode\s*=\s*'([A-Z][A-Z0-9_]+)'/g,
    /(?:new\s+\w*Error\(|super\(|\bcode:)\s*[^'(),;`${}?]*\?\s*'([A-Z][A-Z0-9_]+)'/g,
    /(?:new\s+\w*Error\(|super\(|\bcode:)\s*[^'(),;`${}?]*\?\s*'[A-Z][A-Z0-9_]+'\s*:\s*'([A-Z][A-Z0-9_]+)'/g,
  ];
  for (const file of files) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    for (const pattern of patterns) for (const match of source.matchAll(pattern)) raised.set(match[1], file);
    for (const union of source.matchAll(/type \w*Code\s*=([^;]+);/g)) {
      for (const member of union[1].matchAll(/'([A-Z][A-Z0-9_]+)'/g)) raised.set(member[1], file);
    }
  }
  return raised;
}

describe('error registry', () => {
  it('has a row for every code the source raises', () => {
    const raised = codesRaisedInSource();
    // The scan itself must see the codes: a pattern that matched nothing would pass vacuously.
    expect(raised.size).toBeGreaterThan(90);
    const unregistered = [...raised].filter(([code]) => !isRegisteredCode(code)).map(([c, f]) => `${c} (${f})`);
    expect(unregistered).toEqual([]);
  });

  it('has no row that nothing raises', () => {
    const raised = codesRaisedInSource();
    expect(registeredCodes().filter((code) => !raised.has(code))).toEqual([]);
  });

  // A process that stops on these must not be restarted: waiting cannot fix them.
  it.each([
    'MIGRATION_CHECKSUM_MISMATCH',
    'SCHEMA_NEWER_THAN_CODE',
    'SCHEMA_NOT_READY',
    'CONFIG_INVALID',
    'POSTGRES_AUTH_FAILED',
    'POSTGRES_DATABASE_MISSING',
    'REDIS_AUTH_FAILED',
    'PGVECTOR_MISSING',
    'MODEL_FILE_CORRUPT',
    'MODEL_FILE_INCOMPLETE',
    'MODEL_NOT_FOUND',
    'DEV_MODEL_IN_PRODUCTION',
    'NO_GPU',
    'GPU_DISCOVERY_FAILED',
    'EMBEDDER_OPTIONS_INVALID',
  ])('%s is a permanent start-up failure (exit 78)', (code) => {
    expect(meaningOf(code).exit).toBe(EXIT_CANNOT_WORK);
  });

  // A dependency that is down, or a crash, may pass: the supervisor restarts with backoff.
  it.each(['POSTGRES_UNAVAILABLE', 'REDIS_UNAVAILABLE', 'INFERENCE_THREAD_DIED', 'MODEL_DOWNLOAD_FAILED'])(
    '%s is transient (exit 1)',
    (code) => {
      expect(meaningOf(code).exit).toBe(EXIT_RESTART);
    },
  );

  it.each([
    ['FETCH_NOT_FOUND', 'dead-letter', EXIT_RESTART, 422],
    ['FETCH_HTTP_5XX', 'retry', EXIT_RESTART, 502],
    ['EMBEDDING_NOT_FINITE', 'dead-letter', EXIT_RESTART, 500],
    ['POSTGRES_UNAVAILABLE', 'postpone', EXIT_RESTART, 503],
    ['POSTGRES_DATABASE_MISSING', 'postpone', EXIT_CANNOT_WORK, 503],
    ['MODEL_FILE_CORRUPT', 'stop-worker', EXIT_CANNOT_WORK, 503],
    ['IMAGE_TOO_LARGE', 'dead-letter', EXIT_RESTART, 413],
  ])('%s: job %s, exit %d, HTTP %d', (code, job, exit, http) => {
    expect(meaningOf(code)).toMatchObject({ job, exit, http });
  });

  // A request-only code that reaches a job anyway is bad input: retrying it would only burn attempts.
  it('gives request-only codes their HTTP status and dead-letters a job that meets one', () => {
    expect(meaningOf('PRODUCT_NOT_FOUND')).toMatchObject({ http: 404, exit: EXIT_RESTART, job: 'dead-letter' });
    expect(meaningOf('SEARCH_INPUT_INVALID')).toMatchObject({ http: 400, job: 'dead-letter' });
    expect(meaningOf('DASHBOARD_UNAUTHORIZED').http).toBe(401);
  });

  it("treats unknown codes as UNEXPECTED_ERROR: retry, restart, 500 and that row's hint", () => {
    const unexpected = meaningOf('UNEXPECTED_ERROR');
    expect(unexpected).toEqual({ job: 'retry', exit: EXIT_RESTART, http: 500, hint: expect.stringContaining('log') });
    expect(meaningOf('SOMETHING_NEW')).toEqual(unexpected);
    expect(meaningOf(undefined)).toEqual(unexpected);
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
