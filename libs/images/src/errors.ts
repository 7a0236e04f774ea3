import { VectorizerError } from '@vectorizer/errors';

/**
 * Every way one image can fail, by stable code. `retryable` tells the pipeline whether trying the
 * same URL again later can succeed (network trouble, server overload) or never will (a 404, a
 * corrupt file): permanent failures go straight to the dead-letter queue.
 */
export const IMAGE_ERROR_CODES = {
  IMAGE_EMPTY: false,
  IMAGE_TOO_LARGE: false,
  IMAGE_UNSUPPORTED_FORMAT: false,
  IMAGE_TOO_MANY_PIXELS: false,
  IMAGE_CORRUPT: false,
  IMAGE_DECODE_TIMEOUT: false,
  FETCH_URL_INVALID: false,
  FETCH_URL_REFUSED: false,
  FETCH_NOT_FOUND: false,
  FETCH_FORBIDDEN: false,
  FETCH_HTTP_4XX: false,
  FETCH_HTTP_3XX: false,
  FETCH_TOO_MANY_REDIRECTS: false,
  FETCH_NOT_AN_IMAGE: false,
  FETCH_DNS_NOT_FOUND: false,
  FETCH_TLS: false,
  FETCH_RATE_LIMITED: true,
  FETCH_HTTP_5XX: true,
  FETCH_TIMEOUT: true,
  FETCH_NETWORK: true,
  FETCH_ABORTED: true,
} as const satisfies Record<string, boolean>;

export type ImageErrorCode = keyof typeof IMAGE_ERROR_CODES;

export interface ImageErrorOptions {
  hint?: string;
  cause?: unknown;
  /** How long the server asked us to wait (429/503 `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
}

export class ImageError extends VectorizerError {
  declare readonly code: ImageErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(code: ImageErrorCode, message: string, options: ImageErrorOptions = {}) {
    super(code, message, { hint: options.hint, cause: options.cause });
    this.retryable = IMAGE_ERROR_CODES[code];
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isImageError(error: unknown): error is ImageError {
  return error instanceof ImageError;
}
