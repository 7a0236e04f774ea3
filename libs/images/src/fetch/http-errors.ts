import { ImageError } from '../errors';
import { parseRetryAfter } from './retry-after';

/** HTTP status → ImageError: 5xx, 429 and 408 can pass with time; every other 4xx will not. */
export function httpStatusError(
  status: number,
  url: string,
  retryAfterHeader: string | string[] | undefined,
): ImageError {
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfterHeader) : undefined;
  const message = `GET ${url} answered HTTP ${status}`;
  if (status === 404 || status === 410)
    return new ImageError('FETCH_NOT_FOUND', message, { hint: 'the image is gone; fix the product image URL' });
  if (status === 401 || status === 403)
    return new ImageError('FETCH_FORBIDDEN', message, { hint: 'the server refuses anonymous access to this image' });
  if (status === 429)
    return new ImageError('FETCH_RATE_LIMITED', message, {
      hint: 'lower IMAGE_FETCH_PER_HOST_CONCURRENCY',
      retryAfterMs,
    });
  if (status === 408) return new ImageError('FETCH_TIMEOUT', message);
  if (status >= 500) return new ImageError('FETCH_HTTP_5XX', message, { retryAfterMs });
  if (status >= 400) return new ImageError('FETCH_HTTP_4XX', message);
  return new ImageError('FETCH_HTTP_3XX', `${message} without a usable Location header`);
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function findCause(error: unknown, test: (candidate: unknown) => boolean): unknown {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (test(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** undici / socket failures → ImageError, keeping an ImageError raised inside (e.g. by the address guard). */
export function networkError(error: unknown, url: string): ImageError {
  const own = findCause(error, (candidate) => candidate instanceof ImageError);
  if (own) return own as ImageError;
  const coded = findCause(error, (candidate) => typeof (candidate as { code?: unknown }).code === 'string') as
    { code: string; message: string } | undefined;
  const code = coded?.code ?? '';
  const detail = `${code ? `${code}: ` : ''}${coded?.message ?? (error as Error)?.message ?? String(error)}`;
  if (TIMEOUT_CODES.has(code))
    return new ImageError('FETCH_TIMEOUT', `GET ${url} timed out (${detail})`, { cause: error });
  if (NETWORK_CODES.has(code))
    return new ImageError('FETCH_NETWORK', `GET ${url} failed (${detail})`, { cause: error });
  if (code === 'ENOTFOUND') {
    return new ImageError('FETCH_DNS_NOT_FOUND', `GET ${url}: the host name does not exist (${detail})`, {
      cause: error,
      hint: 'fix the product image URL',
    });
  }
  if (/CERT|SSL|TLS/i.test(code))
    return new ImageError('FETCH_TLS', `GET ${url}: TLS failed (${detail})`, { cause: error });
  // Unknown failures are treated as transient: a retry is cheap, wrongly dead-lettering is not.
  return new ImageError('FETCH_NETWORK', `GET ${url} failed (${detail})`, { cause: error });
}
