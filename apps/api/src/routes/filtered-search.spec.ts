import request from 'supertest';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';
import { patternImage } from '../test-support/catalog-images';
import { seedCatalog } from '../test-support/seed-catalog';

let harness: ApiHarness;
let queryImage: Buffer;
const SHOES = ['shoe-1', 'shoe-2', 'shoe-3'];

beforeAll(async () => {
  harness = await createApiHarness();
  const encoder = await harness.searchModel.encoder();
  queryImage = await patternImage(7);
  const products = await Promise.all(
    [1, 2, 3, 4, 5, 6, 7, 8].map(async (seed) => ({
      id: seed <= 3 ? `shoe-${seed}` : `bag-${seed}`,
      title: `Product ${seed}`,
      image: await patternImage(seed * 7),
      attributes: seed <= 3 ? { category: 'shoes', inStock: seed !== 2 } : { category: 'bags', inStock: true },
    })),
  );
  await seedCatalog(harness.schema.pool, encoder, products);
}, 120_000);

afterAll(() => harness.close());

const ids = (body: { results: { productId: string }[] }): string[] => body.results.map((r) => r.productId).sort();
const filterParam = (filter: unknown): string => encodeURIComponent(JSON.stringify(filter));

describe('filtered search: ?filter={...} on products.attributes', () => {
  it('GET /api/search/text returns only matching products, all of them when fewer than k match', async () => {
    const res = await request(harness.app)
      .get(`/api/search/text?q=running+shoes&k=5&filter=${filterParam({ category: 'shoes' })}`)
      .expect(200);
    expect(ids(res.body)).toEqual(SHOES);
    const unfiltered = await request(harness.app).get('/api/search/text?q=running+shoes&k=5').expect(200);
    expect(unfiltered.body.results).toHaveLength(5);
  });

  it('GET /api/products/:id/similar combines keys and leaves the product itself out', async () => {
    const res = await request(harness.app)
      .get(`/api/products/shoe-1/similar?filter=${filterParam({ category: 'shoes', inStock: true })}`)
      .expect(200);
    expect(ids(res.body)).toEqual(['shoe-3']);
  });

  it('says which strategy answered (a selective filter: exact; none: hnsw) and counts them on /metrics', async () => {
    const filtered = await request(harness.app)
      .get(`/api/products/bag-4/similar?filter=${filterParam({ category: 'bags' })}`)
      .expect(200);
    expect(filtered.body.strategy).toBe('exact');
    expect(ids(filtered.body)).toEqual(['bag-5', 'bag-6', 'bag-7', 'bag-8']);
    const unfiltered = await request(harness.app).get('/api/products/bag-4/similar?k=3').expect(200);
    expect(unfiltered.body.strategy).toBe('hnsw');
    const text = await request(harness.app).get('/api/search/text?q=bag').expect(200);
    expect(text.body.strategy).toBe('hnsw');
    const metrics = await request(harness.app).get('/metrics').expect(200);
    const count = (strategy: string): number =>
      Number(
        new RegExp(`vectorizer_search_strategy_total\\{[^}]*strategy="${strategy}"[^}]*\\} (\\d+)`).exec(
          metrics.text,
        )?.[1],
      );
    expect(count('exact')).toBeGreaterThanOrEqual(1);
    expect(count('hnsw')).toBeGreaterThanOrEqual(2);
  });

  it('POST /api/search/image takes the filter as a multipart field', async () => {
    const res = await request(harness.app)
      .post('/api/search/image?k=8')
      .field('filter', JSON.stringify({ category: 'bags' }))
      .attach('image', queryImage, 'query.png')
      .expect(200);
    expect(ids(res.body)).toEqual(['bag-4', 'bag-5', 'bag-6', 'bag-7', 'bag-8']);
  });

  it.each([
    ['not JSON', 'category=shoes', /filter is not valid JSON/],
    ['not an object', encodeURIComponent('["shoes"]'), /must be a JSON object .* got an array/],
    ['a nested value', filterParam({ category: { name: 'shoes' } }), /filter\.category is an object/],
    ['a null value', filterParam({ category: null }), /filter\.category is null/],
    ['bracket syntax', 'filter[category]=shoes', /filter\[category\] is not supported: pass filter as JSON text/],
  ])('answers 400 SEARCH_FILTER_INVALID for %s', async (_what, query, message) => {
    const path = query.startsWith('filter') ? `?q=shoes&${query}` : `?q=shoes&filter=${query}`;
    const res = await request(harness.app).get(`/api/search/text${path}`).expect(400);
    expect(res.body.error.code).toBe('SEARCH_FILTER_INVALID');
    expect(res.body.error.message).toMatch(message);
  });

  it('answers 400 for a malformed filter on similar and image search too', async () => {
    const similar = await request(harness.app).get('/api/products/shoe-1/similar?filter=oops').expect(400);
    expect(similar.body.error.code).toBe('SEARCH_FILTER_INVALID');
    const image = await request(harness.app)
      .post('/api/search/image')
      .field('filter', '{"category":')
      .attach('image', queryImage, 'query.png')
      .expect(400);
    expect(image.body.error).toMatchObject({ code: 'SEARCH_FILTER_INVALID', message: expect.stringMatching(/JSON/) });
  });
});
