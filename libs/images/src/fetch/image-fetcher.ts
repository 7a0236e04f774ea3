import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { ImageError } from '../errors';
import { readFileUrl } from './file-url';
import { guardedLookup, refusedAddressError } from './guarded-lookup';
import { HostLimiter } from './host-limiter';
import { httpStatusError, networkError } from './http-errors';
import { isPrivateAddress } from './ssrf-guard';

export interface ImageFetcherOptions {
  connectTimeoutMs: number;
  /** From sending the request to the end of the response headers. */
  headersTimeoutMs: number;
  /** The whole body, from the headers to its last byte (not only the gap between chunks). */
  bodyTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  perHostConcurrency: number;
  /** Allow loopback, LAN, link-local and other reserved addresses (tests, internal image hosts). */
  allowPrivateNetworks: boolean;
  /** Host names allowed to resolve to private addresses even when allowPrivateNetworks is false. */
  allowedPrivateHosts?: string[];
  /** `file://` URLs are read only under this directory; without it they are refused. */
  fileRoot?: string;
  userAgent: string;
}

export interface FetchedImage {
  bytes: Buffer;
  /** Hex sha256 of `bytes`, stored with the embedding to tell when an image changed. */
  sha256: string;
  contentType?: string;
  /** The URL the bytes came from, after redirects. */
  finalUrl: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads product images from untrusted URLs: bounded in time and size, every redirect hop
 * re-checked against the private-address guard, and at most `perHostConcurrency` requests per host.
 * Failures are ImageErrors whose `retryable` says whether a later retry can help.
 */
export class ImageFetcher {
  private readonly agent: Agent;
  private readonly limiter: HostLimiter;
  private readonly allowedPrivateHosts: Set<string>;

  constructor(private readonly options: ImageFetcherOptions) {
    this.limiter = new HostLimiter(options.perHostConcurrency);
    this.allowedPrivateHosts = new Set((options.allowedPrivateHosts ?? []).map((host) => host.toLowerCase()));
    this.agent = new Agent({
      connect: {
        timeout: options.connectTimeoutMs,
        ...(options.allowPrivateNetworks
          ? {}
          : { lookup: guardedLookup((host) => this.allowedPrivateHosts.has(host.toLowerCase())) }),
      },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
    });
  }

  async fetch(url: string, opts: { signal?: AbortSignal } = {}): Promise<FetchedImage> {
    let current = parseUrl(url);
    if (current.protocol === 'file:') {
      const bytes = await readFileUrl(current, this.options.fileRoot, this.options.maxBytes);
      return { bytes, sha256: sha256(bytes), finalUrl: current.href };
    }
    for (let redirects = 0; ; redirects++) {
      this.requireFetchable(current);
      const outcome = await this.fetchOnce(current, opts.signal);
      if ('image' in outcome) return outcome.image;
      if (redirects >= this.options.maxRedirects) {
        throw new ImageError(
          'FETCH_TOO_MANY_REDIRECTS',
          `${url} redirected more than ${this.options.maxRedirects} times`,
          {
            hint: 'use the final image URL in the product feed, or raise IMAGE_FETCH_MAX_REDIRECTS',
          },
        );
      }
      current = outcome.redirect;
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Scheme and IP-literal checks; host names are checked when the socket resolves them. */
  private requireFetchable(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ImageError('FETCH_URL_REFUSED', `refused URL scheme ${url.protocol} in ${url.href}`, {
        hint: 'image URLs must be http(s)://, or file:// as the original URL when IMAGE_FILE_ROOT is set',
      });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (
      !this.options.allowPrivateNetworks &&
      isIP(host) !== 0 &&
      isPrivateAddress(host) &&
      !this.allowedPrivateHosts.has(host.toLowerCase())
    ) {
      throw refusedAddressError(url.hostname, host);
    }
  }

  private async fetchOnce(url: URL, callerSignal?: AbortSignal): Promise<{ image: FetchedImage } | { redirect: URL }> {
    const abort = new AbortController();
    const onCallerAbort = () =>
      abort.abort(
        new ImageError('FETCH_ABORTED', `fetching ${url.href} was cancelled`, { cause: callerSignal?.reason }),
      );
    if (callerSignal?.aborted) onCallerAbort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    let bodyTimer: NodeJS.Timeout | undefined;
    const release = await this.limiter.acquire(url.host, abort.signal).catch(() => {
      throw abort.signal.reason as ImageError;
    });
    try {
      let response: Dispatcher.ResponseData;
      try {
        response = await this.agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: { 'user-agent': this.options.userAgent, accept: 'image/*,*/*;q=0.5' },
          signal: abort.signal,
        });
      } catch (error) {
        throw abort.signal.aborted ? abort.signal.reason : networkError(error, url.href);
      }
      bodyTimer = setTimeout(
        () =>
          abort.abort(
            new ImageError('FETCH_TIMEOUT', `reading ${url.href} took longer than ${this.options.bodyTimeoutMs} ms`),
          ),
        this.options.bodyTimeoutMs,
      );
      return await this.handleResponse(url, response, abort.signal);
    } finally {
      clearTimeout(bodyTimer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      release();
    }
  }

  private async handleResponse(url: URL, response: Dispatcher.ResponseData, signal: AbortSignal) {
    const { statusCode, headers, body } = response;
    const header = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    if (statusCode < 200 || statusCode >= 300) {
      await drain(body);
      const location = header('location');
      if (REDIRECT_STATUSES.has(statusCode) && location) return { redirect: parseUrl(location, url) };
      throw httpStatusError(statusCode, url.href, headers['retry-after']);
    }
    const contentType = header('content-type');
    if (contentType && /^\s*text\/html\b/i.test(contentType)) {
      discard(body);
      throw new ImageError('FETCH_NOT_AN_IMAGE', `${url.href} returned an HTML page (${contentType}), not an image`, {
        hint: 'the URL points to a web page; use the direct image URL',
      });
    }
    const declaredLength = Number(header('content-length'));
    if (Number.isFinite(declaredLength) && declaredLength > this.options.maxBytes) {
      discard(body);
      throw this.tooLarge(url, `declares ${declaredLength} bytes`);
    }
    const bytes = await this.readCapped(url, body, signal);
    return { image: { bytes, sha256: sha256(bytes), contentType, finalUrl: url.href } };
  }

  private async readCapped(url: URL, body: ResponseBody, signal: AbortSignal): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        total += (chunk as Buffer).length;
        if (total > this.options.maxBytes) {
          discard(body);
          throw this.tooLarge(url, `sent more than ${this.options.maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof ImageError) throw error;
      throw signal.aborted ? signal.reason : networkError(error, url.href);
    }
    return Buffer.concat(chunks, total);
  }

  private tooLarge(url: URL, what: string): ImageError {
    return new ImageError('IMAGE_TOO_LARGE', `${url.href} ${what}, over the ${this.options.maxBytes}-byte limit`, {
      hint: 'raise IMAGE_MAX_BYTES if such images are expected',
    });
  }
}

function parseUrl(url: string, base?: URL): URL {
  try {
    return new URL(url, base);
  } catch (error) {
    throw new ImageError('FETCH_URL_INVALID', `not a valid URL: ${JSON.stringify(url)}`, {
      cause: error,
      hint: 'fix the product image URL',
    });
  }
}

type ResponseBody = Dispatcher.ResponseData['body'];

/** Reads a small error or redirect body to its end so the keep-alive connection can be reused. */
async function drain(body: ResponseBody): Promise<void> {
  await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
}

/** Drops a body we will not read; destroying it closes the connection. */
function discard(body: ResponseBody): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** On the main thread on purpose: cheaper than Web Crypto's digest, which copies the bytes to libuv's pool (docs/performance.md). */
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
