import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface ImageServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** A distinct solid-colour PNG per n; with `delayMs`, served that much later. */
  imageUrl(n: number, delayMs?: number): string;
  /** An all-black PNG (the poisoned test model's NaN input). */
  blackUrl: string;
  /** Answers 503 `failures` times, then the image. */
  flakyUrl(key: string, failures: number, retryAfterSeconds?: number): string;
  missingUrl: string;
  corruptUrl: string;
  unsupportedUrl: string;
  /** Requests seen per path. */
  hits(path: string): number;
  /** Every image response waits this long first (to keep jobs in flight). */
  setDelayMs(ms: number): void;
  close(): Promise<void>;
}

/** A local image host for pipeline tests (the fetcher needs allowPrivateNetworks: true). */
export async function startImageServer(): Promise<ImageServer> {
  const counts = new Map<string, number>();
  const pngs = new Map<number, Buffer>();
  let delayMs = 0;
  const png = async (n: number): Promise<Buffer> => {
    let image = pngs.get(n);
    if (!image) {
      image = await sharp({
        create: {
          width: 48,
          height: 40,
          channels: 3,
          background: { r: (n * 53) % 256, g: (n * 97) % 256, b: (n * 193) % 256 },
        },
      })
        .png()
        .toBuffer();
      pngs.set(n, image);
    }
    return image;
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
    const seen = counts.get(url.pathname) ?? 0;
    const wait = delayMs + Number(url.searchParams.get('delay') ?? 0);
    const send = (status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
      setTimeout(() => response.writeHead(status, headers).end(body), wait);
    };
    const image = url.pathname.match(/^\/ok\/(\d+)\.png$/);
    const flaky = url.pathname.match(/^\/flaky\/([\w-]+)\/(\d+)\.png$/);
    if (image) {
      void png(Number(image[1])).then((body) => send(200, body, { 'content-type': 'image/png' }));
    } else if (flaky) {
      if (seen <= Number(flaky[2])) {
        const retryAfter = url.searchParams.get('retryAfter');
        send(503, 'busy', retryAfter ? { 'retry-after': retryAfter } : {});
      } else {
        void png(7).then((body) => send(200, body, { 'content-type': 'image/png' }));
      }
    } else if (url.pathname === '/black.png') {
      void sharp({ create: { width: 48, height: 40, channels: 3, background: { r: 0, g: 0, b: 0 } } })
        .png()
        .toBuffer()
        .then((body) => send(200, body, { 'content-type': 'image/png' }));
    } else if (url.pathname === '/corrupt.png') {
      send(200, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]), {
        'content-type': 'image/png',
      });
    } else if (url.pathname === '/unsupported.bmp') {
      send(200, Buffer.concat([Buffer.from('BM'), Buffer.alloc(200, 1)]), { 'content-type': 'image/bmp' });
    } else {
      send(404, 'not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    imageUrl: (n, delay) => `${origin}/ok/${n}.png${delay === undefined ? '' : `?delay=${delay}`}`,
    blackUrl: `${origin}/black.png`,
    flakyUrl: (key, failures, retryAfterSeconds) =>
      `${origin}/flaky/${key}/${failures}.png${retryAfterSeconds === undefined ? '' : `?retryAfter=${retryAfterSeconds}`}`,
    missingUrl: `${origin}/missing.png`,
    corruptUrl: `${origin}/corrupt.png`,
    unsupportedUrl: `${origin}/unsupported.bmp`,
    hits: (path) => counts.get(path) ?? 0,
    setDelayMs: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
