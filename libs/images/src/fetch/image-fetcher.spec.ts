import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { meaningOf } from '@vectorizer/errors';
import { ImageError } from '../errors';
import { ImageFetcher, type ImageFetcherOptions } from './image-fetcher';

const IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 0x42)]);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const baseOptions: ImageFetcherOptions = {
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 2_000,
  bodyTimeoutMs: 2_000,
  maxBytes: 1_000,
  maxRedirects: 3,
  perHostConcurrency: 4,
  allowPrivateNetworks: true,
  userAgent: 'vectorizer-test',
};

/** A real HTTP server on 127.0.0.1 whose paths play the misbehaving image hosts we must survive. */
class TestServer {
  readonly server: Server;
  requests: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  base = '';

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    this.requests.push(url.pathname);
    const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
    if (redirect) {
      const left = Number(redirect[1]);
      res.writeHead(302, { location: left > 0 ? `/redirect/${left - 1}` : '/image.jpg' }).end();
      return;
    }
    switch (url.pathname) {
      case '/image.jpg':
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end(IMAGE);
        return;
      case '/to':
        res.writeHead(301, { location: url.searchParams.get('url') ?? '/' }).end();
        return;
      case '/missing':
        res.writeHead(404).end('not found');
        return;
      case '/gone':
        res.writeHead(410).end();
        return;
      case '/forbidden':
        res.writeHead(403).end();
        return;
      case '/busy':
        res.writeHead(503, { 'retry-after': '7' }).end();
        return;
      case '/limited':
        res.writeHead(429, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }).end();
        return;
      case '/page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html></html>');
        return;
      case '/stall-headers':
        return; // never answers
      case '/stall-body':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '600' });
        res.write(IMAGE.subarray(0, 10)); // then nothing
        return;
      case '/big-declared':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '5000' }).end(Buffer.alloc(5000));
        return;
      case '/big-streamed':
        res.writeHead(200, { 'content-type': 'image/jpeg' }); // chunked, no length up front
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500));
        res.end();
        return;
      case '/hold':
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(200, { 'content-type': 'image/jpeg' }).end(IMAGE);
        }, 40);
        return;
      default:
        res.writeHead(500).end();
    }
  }
}

async function failure(work: Promise<unknown>): Promise<ImageError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ImageError)) throw new Error(`expected an ImageError, got ${String(error)}`);
  return error;
}

describe('ImageFetcher', () => {
  const server = new TestServer();
  const fetchers: ImageFetcher[] = [];
  const fetcher = (overrides: Partial<ImageFetcherOptions> = {}) => {
    const created = new ImageFetcher({ ...baseOptions, ...overrides });
    fetchers.push(created);
    return created;
  };

  beforeAll(() => server.start());
  beforeEach(() => {
    server.requests = [];
    server.maxInFlight = 0;
  });
  afterEach(async () => {
    await Promise.all(fetchers.splice(0).map((f) => f.close()));
  });
  afterAll(() => server.stop());

  it('fetches the bytes with their sha256 and content type', async () => {
    const image = await fetcher().fetch(`${server.base}/image.jpg`);
    expect(image.bytes.equals(IMAGE)).toBe(true);
    expect(image.sha256).toBe(sha(IMAGE));
    expect(image.contentType).toBe('image/jpeg');
    expect(image.finalUrl).toBe(`${server.base}/image.jpg`);
  });

  describe('redirects', () => {
    it('follows up to maxRedirects hops and reports the final URL', async () => {
      const image = await fetcher().fetch(`${server.base}/redirect/2`);
      expect(image.finalUrl).toBe(`${server.base}/image.jpg`);
      expect(server.requests).toEqual(['/redirect/2', '/redirect/1', '/redirect/0', '/image.jpg']);
    });

    it('stops after maxRedirects hops (permanent)', async () => {
      const error = await failure(fetcher({ maxRedirects: 2 }).fetch(`${server.base}/redirect/5`));
      expect(error.code).toBe('FETCH_TOO_MANY_REDIRECTS');
      expect(error.retryable).toBe(false);
      expect(server.requests).toHaveLength(3);
    });

    it('re-checks every hop: a redirect to a private address is refused', async () => {
      const guarded = fetcher({ allowPrivateNetworks: false, allowedPrivateHosts: ['127.0.0.1'] });
      expect((await guarded.fetch(`${server.base}/image.jpg`)).bytes.equals(IMAGE)).toBe(true);
      const port = new URL(server.base).port;
      for (const target of [
        `http://localhost:${port}/image.jpg`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/x.jpg',
      ]) {
        const error = await failure(guarded.fetch(`${server.base}/to?url=${encodeURIComponent(target)}`));
        expect(error.code).toBe('FETCH_URL_REFUSED');
        expect(error.retryable).toBe(false);
      }
    });

    it('refuses a redirect to a file:// URL even when a file root is set', async () => {
      const error = await failure(
        fetcher({ fileRoot: tmpdir() }).fetch(`${server.base}/to?url=${encodeURIComponent('file:///etc/passwd')}`),
      );
      expect(error.code).toBe('FETCH_URL_REFUSED');
    });
  });

  describe('HTTP errors', () => {
    it.each([
      ['/missing', 'FETCH_NOT_FOUND'],
      ['/gone', 'FETCH_NOT_FOUND'],
      ['/forbidden', 'FETCH_FORBIDDEN'],
    ])('%s is permanent (%s)', async (path, code) => {
      const error = await failure(fetcher().fetch(`${server.base}${path}`));
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(false);
      expect(error.retryAfterMs).toBeUndefined();
    });

    it('503 is transient and carries Retry-After in seconds', async () => {
      const error = await failure(fetcher().fetch(`${server.base}/busy`));
      expect(error.code).toBe('FETCH_HTTP_5XX');
      expect(error.retryable).toBe(true);
      expect(error.retryAfterMs).toBe(7_000);
    });

    it('429 is transient and carries Retry-After given as an HTTP date', async () => {
      const error = await failure(fetcher().fetch(`${server.base}/limited`));
      expect(error.code).toBe('FETCH_RATE_LIMITED');
      expect(error.retryable).toBe(true);
      expect(error.retryAfterMs).toBeGreaterThan(50_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    });

    it('refuses an HTML page clearly', async () => {
      const error = await failure(fetcher().fetch(`${server.base}/page`));
      expect(error.code).toBe('FETCH_NOT_AN_IMAGE');
      expect(error.retryable).toBe(false);
    });

    it('a refused connection is transient', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const error = await failure(fetcher().fetch(`http://127.0.0.1:${port}/image.jpg`));
      expect(error.code).toBe('FETCH_NETWORK');
      expect(error.retryable).toBe(true);
    });
  });

  describe('time and size limits', () => {
    it('times out waiting for headers (transient)', async () => {
      const error = await failure(fetcher({ headersTimeoutMs: 200 }).fetch(`${server.base}/stall-headers`));
      expect(error.code).toBe('FETCH_TIMEOUT');
      expect(error.retryable).toBe(true);
    });

    it('times out on a body that stops arriving (transient)', async () => {
      const error = await failure(fetcher({ bodyTimeoutMs: 200 }).fetch(`${server.base}/stall-body`));
      expect(error.code).toBe('FETCH_TIMEOUT');
      expect(error.retryable).toBe(true);
    });

    it('stops when the caller aborts', async () => {
      const controller = new AbortController();
      const pending = fetcher().fetch(`${server.base}/stall-headers`, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const error = await failure(pending);
      expect(error.code).toBe('FETCH_ABORTED');
    });

    it('refuses a declared Content-Length over maxBytes', async () => {
      const error = await failure(fetcher().fetch(`${server.base}/big-declared`));
      expect(error.code).toBe('IMAGE_TOO_LARGE');
      expect(error.message).toContain('declares 5000 bytes');
      expect(error.retryable).toBe(false);
    });

    it('aborts a streamed body once it passes maxBytes', async () => {
      const error = await failure(fetcher().fetch(`${server.base}/big-streamed`));
      expect(error.code).toBe('IMAGE_TOO_LARGE');
      expect(error.message).toContain('more than 1000 bytes');
    });
  });

  describe('per-host concurrency', () => {
    it.each([
      [2, 2],
      [6, 6],
    ])('with a cap of %i the server sees at most %i requests at once', async (cap, expected) => {
      const capped = fetcher({ perHostConcurrency: cap });
      const images = await Promise.all(Array.from({ length: 6 }, () => capped.fetch(`${server.base}/hold`)));
      expect(images).toHaveLength(6);
      expect(server.maxInFlight).toBe(expected);
    });
  });

  describe('private-network guard (allowPrivateNetworks: false)', () => {
    it.each([
      ['loopback', () => `${server.base}/image.jpg`],
      ['a private 10.x address', () => 'http://10.0.0.1/image.jpg'],
      ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
      ['IPv6 loopback', () => `http://[::1]:${new URL(server.base).port}/image.jpg`],
      ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${new URL(server.base).port}/image.jpg`],
      ['a host name resolving to loopback', () => `http://localhost:${new URL(server.base).port}/image.jpg`],
    ])('refuses %s without sending a request', async (_name, url) => {
      const error = await failure(fetcher({ allowPrivateNetworks: false }).fetch(url()));
      expect(error.code).toBe('FETCH_URL_REFUSED');
      expect(error.retryable).toBe(false);
      expect(server.requests).toEqual([]);
    });

    it.each(['data:image/png;base64,iVBORw0KGgo=', 'ftp://example.com/a.jpg', 'javascript:alert(1)'])(
      'refuses the scheme of %s',
      async (url) => {
        const error = await failure(fetcher().fetch(url));
        expect(error.code).toBe('FETCH_URL_REFUSED');
      },
    );

    it('rejects a string that is not a URL', async () => {
      const error = await failure(fetcher().fetch('not a url'));
      expect(error.code).toBe('FETCH_URL_INVALID');
      expect(error.retryable).toBe(false);
    });
  });

  describe('file:// URLs', () => {
    let dir: string;
    let root: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'vectorizer-fetch-'));
      root = join(dir, 'root');
      mkdirSync(root);
      writeFileSync(join(root, 'inside.jpg'), IMAGE);
      writeFileSync(join(dir, 'outside.jpg'), IMAGE);
      writeFileSync(join(root, 'big.jpg'), Buffer.alloc(5000));
      symlinkSync(join(dir, 'outside.jpg'), join(root, 'escape.jpg'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a file under the root', async () => {
      const image = await fetcher({ fileRoot: root }).fetch(pathToFileURL(join(root, 'inside.jpg')).href);
      expect(image.sha256).toBe(sha(IMAGE));
    });

    it.each([
      ['a path outside the root', () => pathToFileURL(join(dir, 'outside.jpg')).href],
      ['a ../ escape', () => `${pathToFileURL(root).href}/../outside.jpg`],
      ['a symlink pointing outside', () => pathToFileURL(join(root, 'escape.jpg')).href],
    ])('refuses %s', async (_name, url) => {
      const error = await failure(fetcher({ fileRoot: root }).fetch(url()));
      expect(error.code).toBe('FETCH_FILE_URL_REFUSED');
    });

    it('refuses file:// without a file root; a dead letter (only the code survives) names IMAGE_FILE_ROOT', async () => {
      const error = await failure(fetcher().fetch(pathToFileURL(join(root, 'inside.jpg')).href));
      expect(error.code).toBe('FETCH_FILE_URL_REFUSED');
      expect(error.hint).toContain('IMAGE_FILE_ROOT');
      expect(meaningOf(error.code).job).toBe('dead-letter');
      expect(meaningOf(error.code).hint).toContain('IMAGE_FILE_ROOT');
      expect(meaningOf(error.code).hint).not.toContain('IMAGE_ALLOW_PRIVATE_NETWORKS');
    });

    it('reports a missing file as not found and a big one as too large', async () => {
      expect((await failure(fetcher({ fileRoot: root }).fetch(pathToFileURL(join(root, 'nope.jpg')).href))).code).toBe(
        'FETCH_NOT_FOUND',
      );
      expect((await failure(fetcher({ fileRoot: root }).fetch(pathToFileURL(join(root, 'big.jpg')).href))).code).toBe(
        'IMAGE_TOO_LARGE',
      );
    });
  });
});
