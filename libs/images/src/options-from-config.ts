import type { Config } from '@vectorizer/config';
import type { DecodeLimits } from './decode';
import type { ImageFetcherOptions } from './fetch/image-fetcher';

/** The decode limits the IMAGE_* settings ask for; every app decodes under the same limits. */
export function decodeLimitsFromConfig(
  config: Pick<Config, 'IMAGE_MAX_BYTES' | 'IMAGE_MAX_PIXELS' | 'IMAGE_DECODE_TIMEOUT_MS' | 'IMAGE_RESIZE'>,
): DecodeLimits {
  return {
    maxBytes: config.IMAGE_MAX_BYTES,
    maxPixels: config.IMAGE_MAX_PIXELS,
    timeoutMs: config.IMAGE_DECODE_TIMEOUT_MS,
    resize: config.IMAGE_RESIZE,
  };
}

/** The ImageFetcher options the IMAGE_FETCH_* / IMAGE_* settings ask for. */
export function fetcherOptionsFromConfig(config: Config): ImageFetcherOptions {
  return {
    connectTimeoutMs: config.IMAGE_FETCH_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: config.IMAGE_FETCH_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: config.IMAGE_FETCH_BODY_TIMEOUT_MS,
    maxRedirects: config.IMAGE_FETCH_MAX_REDIRECTS,
    perHostConcurrency: config.IMAGE_FETCH_PER_HOST_CONCURRENCY,
    maxBytes: config.IMAGE_MAX_BYTES,
    allowPrivateNetworks: config.IMAGE_ALLOW_PRIVATE_NETWORKS,
    fileRoot: config.IMAGE_FILE_ROOT,
    userAgent: config.IMAGE_USER_AGENT,
  };
}
