/** What an error looks like after crossing the worker_threads boundary (structured clone drops classes). */
export interface SerializedError {
  code?: string;
  message: string;
  hint?: string;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; hint?: unknown };
    return {
      code: typeof withCode.code === 'string' ? withCode.code : undefined,
      message: error.message,
      hint: typeof withCode.hint === 'string' ? withCode.hint : undefined,
      stack: error.stack,
    };
  }
  return { message: String(error) };
}
