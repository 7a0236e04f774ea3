import { describeError } from '@vectorizer/errors';
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
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve(fail(name, `no answer within ${opts.timeoutMs} ms`, opts.fix)), opts.timeoutMs);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (error) {
    const described = describeError(error);
    const message = described.cause ? `${described.message} (${described.cause})` : described.message;
    return fail(name, message, described.hint ?? opts.fix);
  } finally {
    clearTimeout(timer);
  }
}
