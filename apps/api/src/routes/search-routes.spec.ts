import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';
import { patternImage } from '../test-support/catalog-images';
import { seedCatalog } from '../test-support/seed-catalog';

let harness: ApiHarness;
let queryImage: Buffer;

beforeAll(async () => {
  harness = await createApiHarness();
  const encoder = await harness.searchModel.encoder();
  queryImage = await patternImage(7);
  const [textVector] = await encoder.embedTexts(['a green canvas backpack']);
  const others = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(async (seed) => ({
      id: `other-${seed}`,
      title: `Other ${seed}`,
      image: await patternImage(seed * 31),
    })),
  );
  await seedCatalog(harness.schema.pool, encoder, [
    // "original" and "copy" share one image: an exact duplicate pair.
    { id: 'original', title: 'Original', image: queryImage },
    { id: 'copy', title: 'Copy of original', image: queryImage },
    ...others,
    // Stored with the text tower's embedding of its description: the text search's exact match.
    { id: 'backpack', title: 'Green canvas backpack', image: await patternImage(99), embedding: textVector },
  ]);
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
    expect(res.body.results[0]).toMatchObject({ productId: 'backpack', title: 'Green canvas backpack' });
    expect(res.body.results[0].score).toBeCloseTo(1, 4);
  });

  it('answers 400 when q is missing', async () => {
    const res = await request(harness.app).get('/api/search/text').expect(400);
    expect(res.body.error.message).toContain('q is required');
  });
});
