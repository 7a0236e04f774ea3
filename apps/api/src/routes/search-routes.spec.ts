import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { ApiHarness } from '../test-support/api-harness';
import { patternImage } from '../test-support/catalog-images';
import { createSeededHarness, otherProducts, textMatchedProduct } from '../test-support/seeded-harness';

let harness: ApiHarness;
let queryImage: Buffer;

beforeAll(async () => {
  queryImage = await patternImage(7);
  harness = await createSeededHarness(async (encoder) => {
    return [
      // "original" and "copy" share one image: an exact duplicate pair.
      { id: 'original', title: 'Original', image: queryImage },
      { id: 'copy', title: 'Copy of original', image: queryImage },
      ...(await otherProducts([1, 2, 3, 4, 5, 6], 31)),
      // Stored with the text tower's embedding of its description: the text search's exact match.
      await textMatchedProduct(encoder, 'a green canvas backpack', {
        id: 'backpack',
        title: 'Green canvas backpack',
        image: await patternImage(99),
      }),
    ];
  });
}, 120_000);

afterAll(() => harness.close());

describe('GET /api/products/:id/similar', () => {
  it('ranks the exact duplicate first and leaves the product itself out', async () => {
    const res = await request(harness.app).get('/api/products/original/similar?k=5').expect(200);
    expect(res.body.results).toHaveLength(5);
    expect(res.body.results[0]).toMatchObject({
      productId: 'copy',
      title: 'Copy of original',
      imageUrl: 'https://img.test/copy.png',
    });
    expect(res.body.results[0].score).toBeCloseTo(1, 4);
    expect(res.body.results.map((r: { productId: string }) => r.productId)).not.toContain('original');
    const scores = res.body.results.map((r: { score: number }) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('answers 404 with the code for an unknown product', async () => {
    const res = await request(harness.app).get('/api/products/nope/similar').expect(404);
    expect(res.body.error.code).toBe('PRODUCT_NOT_FOUND');
  });

  it.each(['0', '51', 'ten', '2.5'])('refuses k=%s with 400 naming the range', async (k) => {
    const res = await request(harness.app).get(`/api/products/original/similar?k=${k}`).expect(400);
    expect(res.body.error).toMatchObject({ code: 'SEARCH_INPUT_INVALID' });
    expect(res.body.error.message).toContain('k must be a whole number from 1 to 50');
  });
});

describe('POST /api/search/image', () => {
  it('ranks both products with that exact image first', async () => {
    const res = await request(harness.app)
      .post('/api/search/image?k=3')
      .attach('image', queryImage, 'query.png')
      .expect(200);
    const top2 = res.body.results
      .slice(0, 2)
      .map((r: { productId: string }) => r.productId)
      .sort();
    expect(top2).toEqual(['copy', 'original']);
    expect(res.body.results[0].score).toBeCloseTo(1, 4);
    expect(res.body.results[2].score).toBeLessThan(res.body.results[1].score);
  });

  it('answers 422 with the image error code for a file that is not an image', async () => {
    const res = await request(harness.app)
      .post('/api/search/image')
      .attach('image', Buffer.from('just some text'), 'notes.txt')
      .expect(422);
    expect(res.body.error.code).toBe('IMAGE_UNSUPPORTED_FORMAT');
  });

  it('answers 413 for an upload over IMAGE_MAX_BYTES', async () => {
    const res = await request(harness.app)
      .post('/api/search/image')
      .attach('image', Buffer.alloc(1024 * 1024 + 1), 'big.png')
      .expect(413);
    expect(res.body.error.code).toBe('IMAGE_TOO_LARGE');
  });

  it('answers 400 when no image was sent', async () => {
    const res = await request(harness.app).post('/api/search/image').field('k', '3').expect(400);
    expect(res.body.error.message).toContain('No image uploaded');
  });
});

describe('GET /api/search/text', () => {
  it('ranks the product embedded from the same text first', async () => {
    const res = await request(harness.app)
      .get('/api/search/text')
      .query({ q: 'a green canvas backpack', k: 3 })
      .expect(200);
    expect(res.body.model).toBe(harness.model.id);
    expect(res.body.results[0]).toMatchObject({ productId: 'backpack', title: 'Green canvas backpack' });
    expect(res.body.results[0].score).toBeCloseTo(1, 4);
  });

  it('answers 400 when q is missing', async () => {
    const res = await request(harness.app).get('/api/search/text').expect(400);
    expect(res.body.error.message).toContain('q is required');
  });
});

describe('POST /api/search/image under load (SEARCH_MAX_CONCURRENT_UPLOADS, default 4)', () => {
  const LIMIT = 4;
  const BOUNDARY = 'vectorizer-test-boundary';
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer(harness.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  /** A real upload whose body is sent in two parts: the request stays in progress until `finish()`. */
  function startUpload(image: Buffer): {
    req: ClientRequest;
    response: Promise<{ res: IncomingMessage; body: string }>;
    finish(): void;
    /** Sends the rest in `parts` writes, `gapMs` apart, as a client on a slower link does. */
    finishSlowly(parts: number, gapMs: number): Promise<void>;
  } {
    const head = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="q.png"\r\nContent-Type: image/png\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/search/image?k=2',
      headers: {
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'content-length': head.length + image.length + tail.length,
      },
    });
    req.on('error', () => undefined);
    const response = new Promise<{ res: IncomingMessage; body: string }>((resolve) =>
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ res, body: Buffer.concat(chunks).toString() }));
      }),
    );
    req.write(head);
    req.write(image.subarray(0, 100));
    return {
      req,
      response,
      finish: () => {
        req.write(image.subarray(100));
        req.end(tail);
      },
      finishSlowly: async (parts, gapMs) => {
        const rest = image.subarray(100);
        const size = Math.ceil(rest.length / parts);
        for (let start = 0; start < rest.length; start += size) {
          if (req.destroyed) return;
          req.write(rest.subarray(start, start + size));
          await new Promise((resolve) => setTimeout(resolve, gapMs));
        }
        if (!req.destroyed) req.end(tail);
      },
    };
  }

  it('answers 429 with Retry-After beyond the limit once the refused upload is in (no broken pipe), and frees slots as searches end', async () => {
    const held = Array.from({ length: LIMIT }, () => startUpload(queryImage));
    // Wait until the server holds all of them: an extra upload gets 429 once they are in.
    let refused: { res: IncomingMessage; body: string } | undefined;
    for (let tries = 0; tries < 100 && !refused; tries++) {
      const extra = startUpload(queryImage);
      extra.finish();
      const answer = await extra.response;
      if (answer.res.statusCode === 429) refused = answer;
    }
    expect(refused?.res.statusCode).toBe(429);
    expect(refused?.res.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused?.body ?? '{}').error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      hint: expect.stringContaining('SEARCH_MAX_CONCURRENT_UPLOADS'),
    });

    // Refused clients still sending a large picture (within IMAGE_MAX_BYTES) each get the 429,
    // never a connection closed under them (EPIPE / ECONNRESET) while they send.
    const large = Buffer.alloc(900 * 1024, 7);
    const broken: string[] = [];
    const answers = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const upload = startUpload(large);
        const failed = new Promise<undefined>((resolve) =>
          upload.req.on('error', (error: NodeJS.ErrnoException) => {
            broken.push(error.code ?? error.message);
            resolve(undefined);
          }),
        );
        await upload.finishSlowly(10, 20);
        return Promise.race([upload.response, failed]);
      }),
    );
    expect(broken).toEqual([]);
    expect(answers.map((answer) => [answer?.res.statusCode, answer?.res.headers['retry-after']])).toEqual(
      Array(8).fill([429, '1']),
    );

    for (const upload of held) upload.finish();
    const results = await Promise.all(held.map((upload) => upload.response));
    expect(results.map((result) => result.res.statusCode)).toEqual(Array(LIMIT).fill(200));
    // Every slot is free again.
    const after = await Promise.all(
      Array.from({ length: LIMIT }, () =>
        request(harness.app).post('/api/search/image?k=1').attach('image', queryImage, 'q.png'),
      ),
    );
    expect(after.map((res) => res.status)).toEqual(Array(LIMIT).fill(200));
  });

  it('frees the slot of a client that goes away mid-upload', async () => {
    const gone = Array.from({ length: LIMIT }, () => startUpload(queryImage));
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const upload of gone) upload.req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const res = await request(harness.app).post('/api/search/image?k=1').attach('image', queryImage, 'q.png');
    expect(res.status).toBe(200);
  });
});
