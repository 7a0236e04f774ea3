import { createTestSchema, type TestSchema, cosine, seededUnitVector } from '@vectorizer/testing';
import { createHash } from 'node:crypto';
import { parseAttributeFilter } from './attribute-filter';
import { EmbeddingsRepository } from './embeddings-repository';
import { nearestNeighboursSql } from './knn-query';
import { modelIndexName } from './model-index';
import { createPool } from './pool';
import { ProductsRepository } from './products-repository';
import { runMigrations } from './run-migrations';

const DIMENSION = 16;
const MODEL = 'test/model';
/** Large enough that one HNSW candidate list (ef_search 40) holds only ~2 of the 5% that match. */
const CATALOG = 4_000;
const SHOES_EVERY = 20; // 5%

const unitVector = (seed: number): Float32Array => seededUnitVector(seed, DIMENSION);
const category = (i: number): string => (i % SHOES_EVERY === 0 ? 'shoes' : `other-${i % 7}`);

describe('filtered search (attributes @> filter) on pgvector', () => {
  let db: TestSchema;
  let embeddings: EmbeddingsRepository;

  beforeAll(async () => {
    db = await createTestSchema('store_filtered', { connect: (url, schema) => createPool(url, { schema, max: 2 }) });
    await runMigrations(db.pool, { model: { id: MODEL, dimension: DIMENSION } });
    const ids = Array.from({ length: CATALOG }, (_, i) => i);
    await new ProductsRepository(db.pool).upsertMany(
      ids.map((i) => ({
        id: `p${i}`,
        imageUrl: `https://img/p${i}.jpg`,
        title: `T${i}`,
        attributes: { category: category(i), inStock: i % 2 === 0, size: i % 3 },
      })),
    );
    embeddings = new EmbeddingsRepository(db.pool);
    await embeddings.upsertMany(
      ids.map((i) => ({
        productId: `p${i}`,
        model: MODEL,
        embedding: unitVector(i),
        imageUrl: `https://img/p${i}.jpg`,
        imageSha256: createHash('sha256').update(`p${i}`).digest('hex'),
      })),
    );
    await db.pool.query('ANALYZE products; ANALYZE product_embeddings');
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('returns k products, all matching, for a filter that keeps 5% of the catalog, through the HNSW index', async () => {
    const query = unitVector(123_456);
    const k = 10;
    const hits = await embeddings.searchByVector(query, MODEL, k, 40, { category: 'shoes' });
    expect(hits).toHaveLength(k);
    const matching = Array.from({ length: CATALOG }, (_, i) => i).filter((i) => category(i) === 'shoes');
    for (const hit of hits) expect(matching).toContain(Number(hit.productId.slice(1)));
    // Nearly the exact top k among the matching products (HNSW is approximate).
    const exact = matching
      .map((i) => ({ id: `p${i}`, score: cosine(query, unitVector(i)) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map((e) => e.id);
    const found = hits.filter((hit) => exact.includes(hit.productId)).length;
    expect(found).toBeGreaterThanOrEqual(k - 2);

    // The planner answers this query from the HNSW index (not a sort of every match), so k results
    // come only from iterative scans: one candidate list of 40 holds about 2 shoes.
    const sql = nearestNeighboursSql({ id: MODEL, dim: DIMENSION, storage: 'vector' });
    const plan = await db.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [
      `[${Array.from(query).join(',')}]`,
      null,
      k,
      JSON.stringify({ category: 'shoes' }),
    ]);
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(`Index Scan using ${modelIndexName(MODEL)}`);
  });

  it('combines keys (all must match), on similar-to-product too, and returns nothing when nothing matches', async () => {
    const filter = { category: 'shoes', inStock: true, size: 0 };
    const hits = await embeddings.similarToProduct('p0', MODEL, 5, 40, filter);
    expect(hits).toHaveLength(5);
    for (const hit of hits) {
      const i = Number(hit.productId.slice(1));
      expect([category(i), i % 2 === 0, i % 3]).toEqual(['shoes', true, 0]);
      expect(hit.productId).not.toBe('p0');
    }
    expect(await embeddings.searchByVector(unitVector(1), MODEL, 5, 40, { category: 'hats' })).toEqual([]);
    // A number is not the string of it: equality keeps the JSON type.
    expect(await embeddings.searchByVector(unitVector(1), MODEL, 5, 40, { size: '0' })).toEqual([]);
  });

  it('parses filters and refuses malformed ones with SEARCH_FILTER_INVALID', () => {
    expect(parseAttributeFilter('{"category":"shoes","inStock":true,"size":42}')).toEqual({
      category: 'shoes',
      inStock: true,
      size: 42,
    });
    expect(parseAttributeFilter(undefined)).toBeUndefined();
    expect(parseAttributeFilter('  ')).toBeUndefined();
    expect(parseAttributeFilter('{}')).toBeUndefined();
    const refused: [string, RegExp][] = [
      ['category=shoes', /filter is not valid JSON/],
      ['["shoes"]', /must be a JSON object .* got an array/],
      ['"shoes"', /must be a JSON object .* got a string/],
      ['null', /got null/],
      ['{"category":{"name":"shoes"}}', /filter\.category is an object; only string, number or boolean/],
      ['{"tags":["a"]}', /filter\.tags is an array/],
      ['{"color":null}', /filter\.color is null/],
      ['{"":"x"}', /empty key/],
    ];
    for (const [text, message] of refused) {
      expect(() => parseAttributeFilter(text)).toThrow(message);
      expect(() => parseAttributeFilter(text)).toThrow(expect.objectContaining({ code: 'SEARCH_FILTER_INVALID' }));
    }
  });
});
