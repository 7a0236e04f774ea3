import type { ErrorCode } from './error-codes';

/**
 * The base of every error this project raises on purpose. `code` is stable (tests, the DLQ and
 * operators match on it); `hint` says how to fix the cause, so a fatal start-up log is actionable.
 * A library narrows the codes it raises with `class XError extends VectorizerError<XErrorCode> {}`.
 */
export class VectorizerError<Code extends ErrorCode = ErrorCode> extends Error {
  readonly code: Code;
  readonly hint?: string;

  constructor(code: Code, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Reads code/hint from any error-like value, ours or a library's. */
export function describeError(error: unknown): {
  type: string;
  code?: string;
  message: string;
  hint?: string;
  cause?: string;
} {
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; hint?: unknown };
    const cause = error.cause === undefined ? undefined : describeError(error.cause);
    return {
      type: error.name,
      code: typeof withCode.code === 'string' ? withCode.code : undefined,
      message: error.message,
      hint: typeof withCode.hint === 'string' ? withCode.hint : undefined,
      cause: cause ? `${cause.type}: ${cause.message}` : undefined,
    };
  }
  return { type: typeof error, message: String(error) };
}
