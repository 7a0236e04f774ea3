import { describeError, withDeadline } from '@vectorizer/errors';
import { type CheckResult, fail } from './check-result';

/**
 * Runs one check so that it can neither throw nor hang: a check that throws becomes a FAIL line
 * carrying the error's message and hint, and one that takes longer than `timeoutMs` becomes a
 * FAIL line naming the timeout (a half-dead Redis must not hang /readyz or the doctor).
 */
export async function runCheck(
  name: string,
  check: () => Promise<CheckResult>,
  opts: { timeoutMs: number; fix: string },
): Promise<CheckResult> {
  try {
    return await withDeadline(opts.timeoutMs, () => new CheckTimedOut(opts.timeoutMs), check);
  } catch (error) {
    if (error instanceof CheckTimedOut) return fail(name, error.message, opts.fix);
    const described = describeError(error);
    const message = described.cause ? `${described.message} (${described.cause})` : described.message;
    return fail(name, message, described.hint ?? opts.fix);
  }
}

class CheckTimedOut extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}
