import { createTestSchema, type TestSchema, cosine, seededUnitVector } from '@vectorizer/testing';
import { createHash } from 'node:crypto';
import { EmbeddingsRepository } from './embeddings-repository';
import { modelIndexName } from './model-index';
import { createPool } from './pool';
import { ProductsRepository } from './products-repository';
import { runMigrations } from './run-migrations';
import { SearchRepository, exactSql, hnswSql } from './search-repository';

const DIMENSION = 16;
const MODEL = 'test/search-model';
const CATALOG = 3_000;
/** 1% of the catalog: 30 products. */
const rare = (i: number): boolean => i % 100 === 7;
/** 20%. */
const common = (i: number): boolean => i % 5 === 1;

const unitVector = (seed: number): Float32Array => seededUnitVector(seed, DIMENSION);
const ids = Array.from({ length: CATALOG }, (_, i) => i);

/** The true k nearest among the products `keep` admits, by brute force here. */
function bruteForce(query: Float32Array, keep: (i: number) => boolean, k: number, exclude?: number): string[] {
  return ids
    .filter((i) => keep(i) && i !== exclude)
    .map((i) => ({ id: `p${i}`, score: cosine(query, unitVector(i)) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((e) => e.id);
}

describe('SearchRepository: exact and HNSW kNN', () => {
  let db: TestSchema;
  let search: SearchRepository;

  beforeAll(async () => {
    db = await createTestSchema('store_search', { connect: (url, schema) => createPool(url, { schema, max: 2 }) });
    await runMigrations(db.pool, { model: { id: MODEL, dimension: DIMENSION } });
    await new ProductsRepository(db.pool).upsertMany(
      ids.map((i) => ({
        id: `p${i}`,
        imageUrl: `https://img/p${i}.jpg`,
        title: `T${i}`,
        attributes: { tier: rare(i) ? 'rare' : common(i) ? 'common' : 'plain' },
      })),
    );
    await new EmbeddingsRepository(db.pool).upsertMany(
      ids.map((i) => ({
        productId: `p${i}`,
        model: MODEL,
        embedding: unitVector(i),
        imageUrl: `https://img/p${i}.jpg`,
        imageSha256: createHash('sha256').update(`p${i}`).digest('hex'),
      })),
    );
    await db.pool.query('ANALYZE products; ANALYZE product_embeddings');
    search = new SearchRepository(db.pool);
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('scores every matching product on the exact path: the brute-force top k, in order (recall 1.0)', async () => {
    for (let q = 0; q < 20; q++) {
      const query = unitVector(900_000 + q);
      const hits = await search.nearestExact({ vector: query }, MODEL, { k: 10, filter: { tier: 'rare' } });
      expect(hits.map((hit) => hit.productId)).toEqual(bruteForce(query, rare, 10));
      expect(hits[0]?.score).toBeCloseTo(cosine(query, unitVector(Number(hits[0]?.productId.slice(1)))), 5);
    }
    // From a stored product: its own vector, itself left out.
    const hits = await search.nearestExact({ productId: 'p7' }, MODEL, { k: 5, filter: { tier: 'rare' } });
    expect(hits.map((hit) => hit.productId)).toEqual(bruteForce(unitVector(7), rare, 5, 7));
  });

  it('plans the exact path through the GIN index and never the HNSW index; the HNSW path through the HNSW index', async () => {
    const model = { id: MODEL, dim: DIMENSION, storage: 'vector' as const };
    const vector = `[${Array.from(unitVector(1)).join(',')}]`;
    const plan = async (sql: string, params: unknown[]): Promise<string> => {
      const client = await db.pool.connect();
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
    const truth = new Set(bruteForce(query, common, 10));
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

  it('says which product is missing or not embedded, and refuses a vector of another dimension', async () => {
    await expect(search.nearestExact({ productId: 'nope' }, MODEL, { k: 3 })).rejects.toMatchObject({
      code: 'PRODUCT_NOT_FOUND',
    });
    await new ProductsRepository(db.pool).upsertMany([{ id: 'bare', imageUrl: 'https://img/bare.jpg' }]);
    await expect(search.nearestHnsw({ productId: 'bare' }, MODEL, { k: 3, efSearch: 40 })).rejects.toMatchObject({
      code: 'PRODUCT_NOT_EMBEDDED',
    });
    await expect(
      search.nearestHnsw({ vector: new Float32Array(8).fill(0.5) }, MODEL, { k: 3, efSearch: 40 }),
    ).rejects.toMatchObject({ code: 'VECTOR_DIMENSION_MISMATCH' });
    await expect(search.nearestExact({ vector: unitVector(1) }, 'never/registered', { k: 3 })).rejects.toMatchObject({
      code: 'MODEL_NOT_REGISTERED',
    });
    // A filter nothing matches is an empty answer, not an error.
    expect(await search.nearestExact({ productId: 'p1' }, MODEL, { k: 3, filter: { tier: 'none' } })).toEqual([]);
  });
});
