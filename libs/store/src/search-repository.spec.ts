import { type VectorCatalog, cosine, createVectorCatalog } from '@vectorizer/testing';
import { EmbeddingsRepository } from './embeddings-repository';
import * as store from './index';
import { modelIndexName } from './model-index';
import { ProductsRepository } from './products-repository';
import { runMigrations } from './run-migrations';
import { SearchRepository, exactSql, hnswSql } from './search-repository';

const MODEL = 'test/search-model';
const CATALOG = 3_000;
/** 1% of the catalog: 30 products. */
const rare = (i: number): boolean => i % 100 === 7;
/** 20%. */
const common = (i: number): boolean => i % 5 === 1;

describe('SearchRepository: exact and HNSW kNN', () => {
  let catalog: VectorCatalog;
  let search: SearchRepository;
  const unitVector = (seed: number): Float32Array => catalog.vector(seed);

  beforeAll(async () => {
    catalog = await createVectorCatalog(store, {
      name: 'store_search',
      model: MODEL,
      size: CATALOG,
      titled: true,
      attributes: (i) => ({ tier: rare(i) ? 'rare' : common(i) ? 'common' : 'plain' }),
    });
    await runMigrations(catalog.pool, { model: { id: 'other/model', dimension: catalog.dimension } });
    search = new SearchRepository(catalog.pool);
  }, 120_000);

  afterAll(async () => {
    await catalog?.drop();
  });

  it('scores every matching product on the exact path: the brute-force top k, in order (recall 1.0)', async () => {
    for (let q = 0; q < 20; q++) {
      const query = unitVector(900_000 + q);
      const hits = await search.nearestExact({ vector: query }, MODEL, { k: 10, filter: { tier: 'rare' } });
      expect(hits.map((hit) => hit.productId)).toEqual(catalog.nearest(query, 10, rare));
      expect(hits[0]?.score).toBeCloseTo(cosine(query, unitVector(Number(hits[0]?.productId.slice(1)))), 5);
    }
    // From a stored product: its own vector, itself left out.
    const hits = await search.nearestExact({ productId: 'p7' }, MODEL, { k: 5, filter: { tier: 'rare' } });
    expect(hits.map((hit) => hit.productId)).toEqual(catalog.nearest(unitVector(7), 5, rare, 7));
  });

  it('plans the exact path through the GIN index and never the HNSW index; the HNSW path through the HNSW index', async () => {
    const model = { id: MODEL, dim: catalog.dimension, storage: 'vector' as const };
    const vector = `[${Array.from(unitVector(1)).join(',')}]`;
    const plan = async (sql: string, params: unknown[]): Promise<string> => {
      const client = await catalog.pool.connect();
      try {
        // The settings SearchRepository keeps on its connections.
        await client.query('SET max_parallel_workers_per_gather = 0; SET enable_seqscan = off');
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      } finally {
        await client.query('RESET ALL');
        client.release();
      }
    };
    const filter = JSON.stringify({ tier: 'rare' });
    const exact = await plan(exactSql(model, { byProduct: false, filtered: true }, 10), [vector, filter]);
    expect(exact).toContain('products_attributes_path_ops');
    expect(exact).not.toContain(modelIndexName(MODEL));
    const hnsw = await plan(hnswSql(model, { byProduct: true, filtered: true }, 10, 20), ['p1', filter]);
    expect(hnsw).toContain(`Index Scan using ${modelIndexName(MODEL)}`);
    expect(hnsw).not.toContain('products_attributes_path_ops');
    const unfiltered = await plan(hnswSql(model, { byProduct: false, filtered: false }, 10, 10), [vector]);
    expect(unfiltered).toContain(`Index Scan using ${modelIndexName(MODEL)}`);
  });

  it('answers HNSW searches with matching products only, re-ranked by exact distance', async () => {
    const query = unitVector(123);
    const hits = await search.nearestHnsw({ vector: query }, MODEL, {
      k: 10,
      efSearch: 40,
      filter: { tier: 'common' },
      fetch: 20,
    });
    expect(hits).toHaveLength(10);
    for (const hit of hits) expect(common(Number(hit.productId.slice(1)))).toBe(true);
    const scores = hits.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const truth = new Set(catalog.nearest(query, 10, common));
    expect(hits.filter((hit) => truth.has(hit.productId)).length).toBeGreaterThanOrEqual(8);
    const unfiltered = await search.nearestHnsw({ productId: 'p3' }, MODEL, { k: 5, efSearch: 40 });
    expect(unfiltered.map((hit) => hit.productId)).not.toContain('p3');
    expect(unfiltered).toHaveLength(5);
  });

  it('counts the products a filter keeps, up to a bound', async () => {
    expect(await search.countMatching({ tier: 'rare' }, 1_000)).toBe(30);
    expect(await search.countMatching({ tier: 'common' }, 100)).toBe(100);
    expect(await search.countMatching({ tier: 'none' }, 100)).toBe(0);
  });

  it('says which product is missing or not embedded, and refuses a vector of another dimension or with a NaN', async () => {
    await expect(search.nearestExact({ productId: 'nope' }, MODEL, { k: 3 })).rejects.toMatchObject({
      code: 'PRODUCT_NOT_FOUND',
    });
    await new ProductsRepository(catalog.pool).upsertMany([{ id: 'bare', imageUrl: 'https://img/bare.jpg' }]);
    await expect(search.nearestHnsw({ productId: 'bare' }, MODEL, { k: 3, efSearch: 40 })).rejects.toMatchObject({
      code: 'PRODUCT_NOT_EMBEDDED',
    });
    await expect(
      search.nearestHnsw({ vector: new Float32Array(8).fill(0.5) }, MODEL, { k: 3, efSearch: 40 }),
    ).rejects.toMatchObject({ code: 'VECTOR_DIMENSION_MISMATCH' });
    const notFinite = unitVector(2);
    notFinite[3] = Number.NaN;
    await expect(search.nearestExact({ vector: notFinite }, MODEL, { k: 3 })).rejects.toThrow(
      'search vector[3] is NaN, not a finite number',
    );
    await expect(search.nearestExact({ vector: unitVector(1) }, 'never/registered', { k: 3 })).rejects.toMatchObject({
      code: 'MODEL_NOT_REGISTERED',
    });
    // A filter nothing matches is an empty answer, not an error.
    expect(await search.nearestExact({ productId: 'p1' }, MODEL, { k: 3, filter: { tier: 'none' } })).toEqual([]);
  });

  it('ranks an exact duplicate first with score 1, in exact cosine order, joined with product data, one model only', async () => {
    await new EmbeddingsRepository(catalog.pool).upsertMany([
      {
        productId: 'p8',
        model: 'other/model',
        embedding: unitVector(7),
        imageUrl: 'https://img/p8.jpg',
        imageSha256: 'f'.repeat(64),
      },
    ]);
    const query = unitVector(7);
    const hits = await search.nearestHnsw({ vector: query }, MODEL, { k: 5, efSearch: 40 });
    expect(hits[0]).toMatchObject({ productId: 'p7', title: 'T7', imageUrl: 'https://img/p7.jpg' });
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits.map((hit) => hit.productId)).toEqual(catalog.nearest(query, 5));
    hits.forEach((hit) => expect(hit.score).toBeCloseTo(cosine(query, unitVector(Number(hit.productId.slice(1)))), 5));
    // From a stored product: its twin (an identical vector) first, itself left out.
    await new ProductsRepository(catalog.pool).upsertMany([{ id: 'twin', imageUrl: 'https://img/twin.jpg' }]);
    await new EmbeddingsRepository(catalog.pool).upsertMany([
      {
        productId: 'twin',
        model: MODEL,
        embedding: unitVector(3),
        imageUrl: 'https://img/twin.jpg',
        imageSha256: 'e'.repeat(64),
      },
    ]);
    const similar = await search.nearestHnsw({ productId: 'p3' }, MODEL, { k: 3, efSearch: 40 });
    expect(similar[0]).toMatchObject({ productId: 'twin', title: null, imageUrl: 'https://img/twin.jpg' });
    expect(similar[0]?.score).toBeCloseTo(1, 5);
    expect(similar.map((hit) => hit.productId)).not.toContain('p3');
    await expect(search.nearestHnsw({ productId: 'p3' }, 'other/model', { k: 3, efSearch: 40 })).rejects.toMatchObject({
      code: 'PRODUCT_NOT_EMBEDDED',
    });
  });

  it("refuses k and ef_search outside pgvector's bounds", async () => {
    await expect(search.nearestHnsw({ vector: unitVector(0) }, MODEL, { k: 0, efSearch: 40 })).rejects.toThrow(
      /k must be/,
    );
    await expect(search.nearestExact({ vector: unitVector(0) }, MODEL, { k: 1_000 })).rejects.toThrow(/k must be/);
    await expect(search.nearestHnsw({ vector: unitVector(0) }, MODEL, { k: 3, efSearch: 5_000 })).rejects.toThrow(
      /efSearch must be/,
    );
  });
});
