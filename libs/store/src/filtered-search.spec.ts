import { type VectorCatalog, createVectorCatalog } from '@vectorizer/testing';
import { parseAttributeFilter } from './attribute-filter';
import * as store from './index';
import { modelIndexName } from './model-index';
import { SearchRepository, hnswSql } from './search-repository';

const MODEL = 'test/model';
/** Large enough that one HNSW candidate list (ef_search 40) holds only ~2 of the 5% that match. */
const CATALOG = 4_000;
const SHOES_EVERY = 20; // 5%

const category = (i: number): string => (i % SHOES_EVERY === 0 ? 'shoes' : `other-${i % 7}`);
const shoes = (i: number): boolean => category(i) === 'shoes';

describe('filtered search (attributes @> filter) on pgvector', () => {
  let catalog: VectorCatalog;
  let search: SearchRepository;

  beforeAll(async () => {
    catalog = await createVectorCatalog(store, {
      name: 'store_filtered',
      model: MODEL,
      size: CATALOG,
      titled: true,
      attributes: (i) => ({ category: category(i), inStock: i % 2 === 0, size: i % 3 }),
    });
    search = new SearchRepository(catalog.pool);
  }, 120_000);

  afterAll(async () => {
    await catalog?.drop();
  });

  it('returns k products, all matching, for a filter that keeps 5% of the catalog, through the HNSW index', async () => {
    const query = catalog.vector(123_456);
    const k = 10;
    const hits = await search.nearestHnsw({ vector: query }, MODEL, { k, efSearch: 40, filter: { category: 'shoes' } });
    expect(hits).toHaveLength(k);
    for (const hit of hits) expect(shoes(Number(hit.productId.slice(1)))).toBe(true);
    // Nearly the exact top k among the matching products (HNSW is approximate).
    const exact = catalog.nearest(query, k, shoes);
    const found = hits.filter((hit) => exact.includes(hit.productId)).length;
    expect(found).toBeGreaterThanOrEqual(k - 2);

    // The query walks the HNSW index (not a sort of every match), so k results come only from
    // iterative scans: one candidate list of 40 holds about 2 shoes.
    const sql = hnswSql(
      { id: MODEL, dim: catalog.dimension, storage: 'vector' },
      { byProduct: false, filtered: true },
      k,
      k,
    );
    const plan = await catalog.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [
      `[${Array.from(query).join(',')}]`,
      JSON.stringify({ category: 'shoes' }),
    ]);
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(`Index Scan using ${modelIndexName(MODEL)}`);
  });

  it('combines keys (all must match), on similar-to-product too, and returns nothing when nothing matches', async () => {
    const filter = { category: 'shoes', inStock: true, size: 0 };
    const hits = await search.nearestHnsw({ productId: 'p0' }, MODEL, { k: 5, efSearch: 40, filter });
    expect(hits).toHaveLength(5);
    for (const hit of hits) {
      const i = Number(hit.productId.slice(1));
      expect([category(i), i % 2 === 0, i % 3]).toEqual(['shoes', true, 0]);
      expect(hit.productId).not.toBe('p0');
    }
    const nearest = (filter: Record<string, string>) =>
      search.nearestHnsw({ vector: catalog.vector(1) }, MODEL, { k: 5, efSearch: 40, filter });
    expect(await nearest({ category: 'hats' })).toEqual([]);
    // A number is not the string of it: equality keeps the JSON type.
    expect(await nearest({ size: '0' })).toEqual([]);
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
