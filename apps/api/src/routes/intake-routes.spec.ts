import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jobIdFor } from '@vectorizer/queue';
import { ProductsRepository } from '@vectorizer/store';
import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';

const TOKEN = 'ingest-secret-token';
const MAX_BODY_BYTES = 4096;
const auth = { Authorization: `Bearer ${TOKEN}` };

let harness: ApiHarness;
let products: ProductsRepository;

beforeAll(async () => {
  harness = await createApiHarness({ ingestToken: TOKEN, ingestMaxBodyBytes: MAX_BODY_BYTES });
  products = new ProductsRepository(harness.schema.pool);
}, 120_000);

afterAll(() => harness.close());

beforeEach(async () => {
  await harness.queues.embed.obliterate({ force: true });
  await harness.schema.pool.query('TRUNCATE products CASCADE');
});

const jobOf = (id: string, imageUrl: string) => harness.queues.embed.getJob(jobIdFor(id, imageUrl, harness.model.id));
const waitingJobs = () => harness.queues.embed.getJobCountByTypes('waiting', 'delayed', 'prioritized', 'active');

describe('POST /api/products', () => {
  it('refuses a request without a token or with a wrong one (401), reading and writing nothing', async () => {
    const body = [{ id: 'p1', image_url: 'https://img.test/1.jpg' }];
    const missing = await request(harness.app).post('/api/products').send(body).expect(401);
    expect(missing.body.error).toMatchObject({ code: 'INGEST_UNAUTHORIZED', hint: expect.stringContaining('Bearer') });
    expect(missing.headers['www-authenticate']).toContain('Bearer');
    const wrong = await request(harness.app)
      .post('/api/products')
      .set('Authorization', `Bearer ${TOKEN}x`)
      .send(body)
      .expect(401);
    expect(wrong.body.error.message).toBe('The ingest token is wrong');
    // The dashboard's token is another secret: it does not open intake.
    await request(harness.app).post('/api/products').set('Authorization', 'Bearer test-token').send(body).expect(401);
    expect(await products.count()).toBe(0);
    expect(await waitingJobs()).toBe(0);
  });

  it('upserts a JSON array, enqueues each valid product, and reports every bad item by index', async () => {
    const res = await request(harness.app)
      .post('/api/products')
      .set(auth)
      .send([
        { id: 'p1', image_url: 'https://img.test/1.jpg', title: 'Red shoe', attributes: { color: 'red' }, size: 41 },
        { id: 'p2' },
        42,
        { id: 'p3', image_url: 'ftp://img.test/3.jpg' },
        { id: 7, image_url: 'https://img.test/7.jpg' },
      ])
      .expect(200);
    expect(res.body).toEqual({
      accepted: 2,
      changed: 2,
      enqueued: 2,
      alreadyQueued: 0,
      deferred: 0,
      errors: [
        { index: 1, error: 'product p2: missing "image_url"' },
        { index: 2, error: 'expected a JSON object' },
        { index: 3, error: 'product p3: "image_url" must be http(s) or file, got ftp:' },
      ],
    });
    expect(await products.get('p1')).toMatchObject({
      imageUrl: 'https://img.test/1.jpg',
      title: 'Red shoe',
      attributes: { color: 'red', size: 41 },
    });
    expect(await products.get('7')).toMatchObject({ imageUrl: 'https://img.test/7.jpg', attributes: null });
    expect(await products.get('p2')).toBeUndefined();
    expect((await jobOf('p1', 'https://img.test/1.jpg'))?.data).toMatchObject({
      productId: 'p1',
      imageUrl: 'https://img.test/1.jpg',
      model: harness.model.id,
    });
    expect(await jobOf('7', 'https://img.test/7.jpg')).toBeDefined();
    expect(await waitingJobs()).toBe(2);
  });

  it('reads NDJSON, reporting a bad line by its 0-based line number', async () => {
    const ndjson = [
      JSON.stringify({ id: 'a', image_url: 'https://img.test/a.jpg' }),
      '',
      '{"id": "b", "image_url": ',
      JSON.stringify({ id: 'c', image_url: 'https://img.test/c.jpg', title: 'C' }),
      '[1, 2]',
    ].join('\n');
    const res = await request(harness.app)
      .post('/api/products')
      .set(auth)
      .set('Content-Type', 'application/x-ndjson')
      .send(ndjson)
      .expect(200);
    expect(res.body).toMatchObject({ accepted: 2, enqueued: 2 });
    expect(res.body.errors).toEqual([
      { index: 2, error: expect.stringContaining('invalid JSON') },
      { index: 4, error: 'expected a JSON object' },
    ]);
    expect(await products.get('c')).toMatchObject({ title: 'C' });
  });

  it('is idempotent: posting the same products twice enqueues each once; a new image is a new job', async () => {
    const body = [
      { id: 'a', image_url: 'https://img.test/a.jpg' },
      { id: 'b', image_url: 'https://img.test/b.jpg' },
    ];
    const first = await request(harness.app).post('/api/products').set(auth).send(body).expect(200);
    expect(first.body).toMatchObject({ accepted: 2, changed: 2, enqueued: 2, alreadyQueued: 0 });
    const second = await request(harness.app).post('/api/products').set(auth).send(body).expect(200);
    expect(second.body).toMatchObject({ accepted: 2, changed: 0, enqueued: 0, alreadyQueued: 2 });
    expect(await waitingJobs()).toBe(2);

    const moved = await request(harness.app)
      .post('/api/products')
      .set(auth)
      .send([{ id: 'a', image_url: 'https://img.test/a-v2.jpg' }])
      .expect(200);
    expect(moved.body).toMatchObject({ changed: 1, enqueued: 1 });
    expect(await jobOf('a', 'https://img.test/a-v2.jpg')).toBeDefined();
  });

  it('answers 413 for a body over INGEST_MAX_BODY_BYTES, declared or streamed, and writes nothing', async () => {
    const big = Array.from({ length: 100 }, (_, i) => ({ id: `p${i}`, image_url: `https://img.test/${i}.jpg` }));
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_BODY_BYTES);
    const declared = await request(harness.app).post('/api/products').set(auth).send(big).expect(413);
    expect(declared.body.error).toMatchObject({
      code: 'INGEST_BODY_TOO_LARGE',
      message: `The request body is larger than ${MAX_BODY_BYTES} bytes`,
      hint: expect.stringContaining('INGEST_MAX_BODY_BYTES'),
    });

    // Chunked (no Content-Length): cut off while reading.
    const server = harness.app.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      const streamed = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/products',
            headers: { ...auth, 'Content-Type': 'application/x-ndjson', 'Transfer-Encoding': 'chunked' },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode, body: text }));
          },
        );
        req.on('error', reject);
        for (const product of big) req.write(`${JSON.stringify(product)}\n`);
        req.end();
      });
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body).error.code).toBe('INGEST_BODY_TOO_LARGE');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await products.count()).toBe(0);
    expect(await waitingJobs()).toBe(0);
  });

  it('refuses a body that is not a product list as a whole: 400 for non-array JSON, 415 for another type', async () => {
    const object = await request(harness.app)
      .post('/api/products')
      .set(auth)
      .send({ id: 'p1', image_url: 'https://img.test/1.jpg' })
      .expect(400);
    expect(object.body.error).toMatchObject({
      code: 'INGEST_BODY_INVALID',
      message: 'Expected a JSON array of products, got an object',
    });
    const broken = await request(harness.app)
      .post('/api/products')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('[{"id": ')
      .expect(400);
    expect(broken.body.error.message).toContain('The body is not valid JSON');
    const csv = await request(harness.app)
      .post('/api/products')
      .set(auth)
      .set('Content-Type', 'text/csv')
      .send('id,image_url\np1,https://img.test/1.jpg\n')
      .expect(415);
    expect(csv.body.error).toMatchObject({
      code: 'INGEST_MEDIA_TYPE_UNSUPPORTED',
      hint: expect.stringContaining('ndjson'),
    });
  });
});

describe('DELETE /api/products/:id', () => {
  it('removes the product, its vectors and its waiting job; 404 when unknown; 401 without the token', async () => {
    await request(harness.app)
      .post('/api/products')
      .set(auth)
      .send([
        { id: 'gone', image_url: 'https://img.test/gone.jpg' },
        { id: 'kept', image_url: 'https://img.test/kept.jpg' },
      ])
      .expect(200);
    await harness.schema.pool.query(
      `INSERT INTO product_embeddings (product_id, model, dim, embedding_visual, image_url, image_sha256)
       VALUES ('gone', $1, $2, $3, 'https://img.test/gone.jpg', $4)`,
      [
        harness.model.id,
        harness.model.dimension,
        `[${Array(harness.model.dimension).fill(0.1).join(',')}]`,
        'a'.repeat(64),
      ],
    );

    await request(harness.app).delete('/api/products/gone').expect(401);
    expect(await products.get('gone')).toBeDefined();

    const res = await request(harness.app).delete('/api/products/gone').set(auth).expect(200);
    expect(res.body).toEqual({ deleted: 'gone' });
    expect(await products.get('gone')).toBeUndefined();
    const { rows } = await harness.schema.pool.query(`SELECT 1 FROM product_embeddings WHERE product_id = 'gone'`);
    expect(rows).toHaveLength(0);
    expect(await jobOf('gone', 'https://img.test/gone.jpg')).toBeUndefined();
    expect(await products.get('kept')).toBeDefined();
    expect(await jobOf('kept', 'https://img.test/kept.jpg')).toBeDefined();

    const unknown = await request(harness.app).delete('/api/products/gone').set(auth).expect(404);
    expect(unknown.body.error).toMatchObject({ code: 'PRODUCT_NOT_FOUND', message: 'No product with id "gone"' });
  });
});

describe('without INGEST_TOKEN', () => {
  let off: ApiHarness;
  beforeAll(async () => {
    off = await createApiHarness();
  }, 120_000);
  afterAll(() => off.close());

  it('turns POST and DELETE /api/products off with 404 and the fix, whatever the credentials', async () => {
    const post = await request(off.app)
      .post('/api/products')
      .set(auth)
      .send([{ id: 'p1', image_url: 'https://img.test/1.jpg' }])
      .expect(404);
    expect(post.body.error).toMatchObject({
      code: 'INGEST_DISABLED',
      message: 'POST /api/products is off: INGEST_TOKEN is not set',
      hint: expect.stringContaining('INGEST_TOKEN'),
    });
    const del = await request(off.app).delete('/api/products/p1').expect(404);
    expect(del.body.error.code).toBe('INGEST_DISABLED');
    expect(await new ProductsRepository(off.schema.pool).count()).toBe(0);
    // Search routes beside it are untouched.
    await request(off.app).get('/api/products/p1/similar').expect(404);
  });
});
