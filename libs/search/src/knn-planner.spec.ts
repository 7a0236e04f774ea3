import * as store from '@vectorizer/store';
import { createSearchMetrics } from '@vectorizer/telemetry';
import { type VectorCatalog, createVectorCatalog } from '@vectorizer/testing';
import { Registry } from 'prom-client';
import { KnnPlanner } from './knn-planner';

const MODEL = 'test/planner-model';
const CATALOG = 2_000;
/** 40 products (2%). */
const rare = (i: number): boolean => i % 50 === 3;
/** 400 products (20%). */
const common = (i: number): boolean => i % 5 === 2;

describe('KnnPlanner on pgvector: exact below the threshold, HNSW above it', () => {
  let catalog: VectorCatalog;
  let registry: Registry;
  let planner: KnnPlanner;
  let clock = 0;
  const unitVector = (seed: number): Float32Array => catalog.vector(seed);

  beforeAll(async () => {
    catalog = await createVectorCatalog(store, {
      name: 'search_planner',
      model: MODEL,
      size: CATALOG,
      attributes: (i) => ({ tier: rare(i) ? 'rare' : common(i) ? 'common' : 'plain' }),
    });
    registry = new Registry();
    planner = new KnnPlanner(new store.SearchRepository(catalog.pool), {
      efSearch: 40,
      exactMaxRows: 100,
      estimateTtlMs: 60_000,
      metrics: createSearchMetrics(registry),
      now: () => clock,
    });
  }, 120_000);

  afterAll(async () => {
    await catalog?.drop();
  });

  const counted = async (): Promise<Record<string, number>> => {
    const metric = await registry.getSingleMetric('vectorizer_search_strategy_total')?.get();
    return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.strategy), v.value]));
  };

  it('scores a selective filter exactly (recall 1.0), and sends broad filters and no filter through HNSW', async () => {
    for (let q = 0; q < 10; q++) {
      const query = unitVector(500_000 + q);
      const { strategy, hits } = await planner.search({ vector: query }, MODEL, 10, { tier: 'rare' });
      expect(strategy).toBe('exact');
      expect(hits.map((hit) => hit.productId)).toEqual(catalog.nearest(query, 10, rare));
    }
    const broad = await planner.search({ vector: unitVector(1) }, MODEL, 10, { tier: 'common' });
    expect(broad.strategy).toBe('hnsw');
    expect(broad.hits).toHaveLength(10);
    for (const hit of broad.hits) expect(common(Number(hit.productId.slice(1)))).toBe(true);
    expect((await planner.search({ productId: 'p5' }, MODEL, 10)).strategy).toBe('hnsw');
    // A filter matching nothing is as selective as it gets.
    expect(await planner.search({ vector: unitVector(2) }, MODEL, 10, { tier: 'none' })).toEqual({
      strategy: 'exact',
      hits: [],
    });
    expect(await counted()).toEqual({ exact: 11, hnsw: 2 });
  });

  it("remembers a filter's size for the TTL, then counts it again", async () => {
    // 70 products join "rare" (40 → 110, over the threshold of 100); the planner sees it after the TTL.
    const moved = catalog.ids.filter((i) => !rare(i) && !common(i)).slice(0, 70);
    await new store.ProductsRepository(catalog.pool).upsertMany(
      moved.map((i) => ({ id: `p${i}`, imageUrl: `https://img/p${i}.jpg`, attributes: { tier: 'rare' } })),
    );
    expect(await planner.plan({ tier: 'rare' })).toBe('exact');
    clock += 60_001;
    expect(await planner.plan({ tier: 'rare' })).toBe('hnsw');
  });
});
