import { VectorizerError, meaningOf } from '@vectorizer/errors';

/**
 * Every way one image can fail, by stable code. Whether a retry can help (network trouble, server
 * overload) or never will (a 404, a corrupt file) is the error registry's decision (`meaningOf`).
 */
export type ImageErrorCode =
  | 'IMAGE_EMPTY'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_UNSUPPORTED_FORMAT'
  | 'IMAGE_TOO_MANY_PIXELS'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_DECODE_TIMEOUT'
  | 'FETCH_URL_INVALID'
  | 'FETCH_URL_REFUSED'
  | 'FETCH_FILE_URL_REFUSED'
  | 'FETCH_NOT_FOUND'
  | 'FETCH_FORBIDDEN'
  | 'FETCH_HTTP_4XX'
  | 'FETCH_HTTP_3XX'
  | 'FETCH_TOO_MANY_REDIRECTS'
  | 'FETCH_NOT_AN_IMAGE'
  | 'FETCH_DNS_NOT_FOUND'
  | 'FETCH_TLS'
  | 'FETCH_RATE_LIMITED'
  | 'FETCH_HTTP_5XX'
  | 'FETCH_TIMEOUT'
  | 'FETCH_NETWORK'
  | 'FETCH_ABORTED';

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
    this.retryable = meaningOf(code).job === 'retry';
    this.retryAfterMs = options.retryAfterMs;
  }
}
