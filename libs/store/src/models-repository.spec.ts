import { createHash } from 'node:crypto';
import { createTestSchema, type TestSchema, seededUnitVector } from '@vectorizer/testing';
import { EmbeddingsRepository } from './embeddings-repository';
import { modelIndexName } from './model-index';
import { ModelsRepository } from './models-repository';
import { createPool } from './pool';
import { ProductsRepository } from './products-repository';
import { runMigrations } from './run-migrations';
import { SearchRepository, hnswSql } from './search-repository';
import type { EmbeddingRow } from './types';

const SMALL = { id: 'small/model', dimension: 8 };
const WIDE = { id: 'wide/model@fp16', dimension: 24, dtype: 'fp16', storage: 'halfvec' as const };
const PRODUCTS = 200;

const unitVector = seededUnitVector;

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const rows = (model: { id: string; dimension: number }, count: number): EmbeddingRow[] =>
  Array.from({ length: count }, (_, i) => ({
    productId: `p${i}`,
    model: model.id,
    embedding: unitVector(i, model.dimension),
    imageUrl: `https://img/p${i}.jpg`,
    imageSha256: sha(`p${i}`),
  }));

describe('ModelsRepository: models of different dimensions side by side', () => {
  let db: TestSchema;
  let models: ModelsRepository;
  let embeddings: EmbeddingsRepository;
  let search: SearchRepository;
  const nearest = async (vector: Float32Array, model: string, k: number, efSearch: number) =>
    search.nearestHnsw({ vector }, model, { k, efSearch });

  beforeEach(async () => {
    db = await createTestSchema('store_models', { connect: (url, schema) => createPool(url, { schema, max: 3 }) });
    await runMigrations(db.pool, { model: SMALL });
    await runMigrations(db.pool, { model: WIDE });
    models = new ModelsRepository(db.pool);
    embeddings = new EmbeddingsRepository(db.pool);
    search = new SearchRepository(db.pool);
    await new ProductsRepository(db.pool).upsertMany(
      Array.from({ length: PRODUCTS }, (_, i) => ({ id: `p${i}`, imageUrl: `https://img/p${i}.jpg` })),
    );
  });

  afterEach(async () => {
    await db.drop();
  });

  const seedCount = async (): Promise<number> =>
    Number(
      (
        await db.pool.query<{ count: string }>(
          'SELECT COUNT(*) FROM product_embeddings WHERE embedding_visual IS NOT NULL;',
        )
      ).rows[0]?.count,
    );

  it('stores and searches both models, each through its own index, and lists their coverage', async () => {
    await embeddings.upsertMany(rows(SMALL, PRODUCTS));
    await embeddings.upsertMany(rows(WIDE, PRODUCTS / 2));
    expect(await seedCount()).toBe(PRODUCTS + PRODUCTS / 2);

    const small = await nearest(unitVector(5, 8), SMALL.id, 3, 40);
    const wide = await nearest(unitVector(5, 24), WIDE.id, 3, 40);
    expect(small[0]).toMatchObject({ productId: 'p5' });
    expect(small[0]?.score).toBeCloseTo(1, 5);
    // halfvec rounds to 11 significant bits: the score of the same vector is 1 within ~1e-3.
    expect(wide[0]).toMatchObject({ productId: 'p5' });
    expect(wide[0]?.score).toBeCloseTo(1, 2);
    expect(
      (await search.nearestHnsw({ productId: 'p7' }, WIDE.id, { k: 2, efSearch: 40 })).map((hit) => hit.productId),
    ).not.toContain('p7');

    expect(await models.list()).toEqual([
      expect.objectContaining({
        id: SMALL.id,
        dim: 8,
        dtype: 'fp32',
        storage: 'vector',
        active: true,
        embedded: PRODUCTS,
        total: PRODUCTS,
      }),
      expect.objectContaining({
        id: WIDE.id,
        dim: 24,
        dtype: 'fp16',
        storage: 'halfvec',
        active: false,
        embedded: PRODUCTS / 2,
        total: PRODUCTS,
      }),
    ]);

    // The planner picks each model's partial index for its query (seq scans off: the table is small).
    await db.pool.query('ANALYZE products; ANALYZE product_embeddings');
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      for (const model of [
        { id: SMALL.id, dim: 8, storage: 'vector' as const },
        { id: WIDE.id, dim: 24, storage: 'halfvec' as const },
      ]) {
        const sql = hnswSql(model, { byProduct: false, filtered: false }, 10, 10);
        const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [
          `[${Array.from(unitVector(1, model.dim)).join(',')}]`,
        ]);
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(text).toContain(`Index Scan using ${modelIndexName(model.id)}`);
        // Only the k fetched candidates are sorted again (the exact re-rank), never the table.
        expect(text).toContain('Subquery Scan');
        expect(text.slice(text.indexOf('Subquery Scan'))).not.toMatch(/\bSort\b/);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('halfvec finds the same neighbours as the exact float32 ranking (recall@10 ≥ 0.99)', async () => {
    await embeddings.upsertMany(rows(WIDE, PRODUCTS));
    const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((sum, v, i) => sum + v * (b[i] as number), 0);
    let found = 0;
    const queries = 20;
    for (let q = 0; q < queries; q++) {
      const query = unitVector(10_000 + q, WIDE.dimension);
      const exact = Array.from({ length: PRODUCTS }, (_, i) => ({
        id: `p${i}`,
        score: cosine(query, unitVector(i, 24)),
      }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10)
        .map((hit) => hit.id);
      const hits = await nearest(query, WIDE.id, 10, 100);
      found += hits.filter((hit) => exact.includes(hit.productId)).length;
    }
    expect(found / (10 * queries)).toBeGreaterThanOrEqual(0.99);
  });

  it('activates only at 100% coverage unless forced; searches then use the new model', async () => {
    await embeddings.upsertMany(rows(SMALL, PRODUCTS));
    await embeddings.upsertMany(rows(WIDE, PRODUCTS - 1));
    const refused = await models.activate(WIDE.id).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'MODEL_COVERAGE_INCOMPLETE', embedded: PRODUCTS - 1, total: PRODUCTS });
    expect((await models.requireActive()).id).toBe(SMALL.id);

    const forced = await models.activate(WIDE.id, { force: true });
    expect(forced).toMatchObject({ model: { id: WIDE.id, active: true, embedded: PRODUCTS - 1 }, previous: SMALL.id });
    expect((await models.requireActive()).id).toBe(WIDE.id);
    await expect(models.requireActiveLoaded(SMALL.id)).rejects.toMatchObject({
      code: 'ACTIVE_MODEL_NOT_LOADED',
      loadedModelId: SMALL.id,
      activeModelId: WIDE.id,
    });

    await embeddings.upsertMany(rows(SMALL, PRODUCTS).slice(0, 1)); // idempotent; still 100%
    expect(await models.activate(SMALL.id)).toMatchObject({ previous: WIDE.id });
    await expect(models.activate('nope')).rejects.toMatchObject({ code: 'MODEL_NOT_REGISTERED' });
    // Both stay registered with their vectors: switching never deletes anything.
    expect(await seedCount()).toBe(2 * PRODUCTS - 1);
  });

  it('drops a model: its vectors and its index go, the other model is untouched; the active one only with force', async () => {
    await embeddings.upsertMany(rows(SMALL, PRODUCTS));
    await embeddings.upsertMany(rows(WIDE, PRODUCTS));
    const indexExists = async (id: string) =>
      (await db.pool.query('SELECT to_regclass($1) AS index', [modelIndexName(id)])).rows[0]?.index !== null;

    expect(await models.drop(WIDE.id)).toEqual({ modelId: WIDE.id, droppedEmbeddings: PRODUCTS, wasActive: false });
    expect(await indexExists(WIDE.id)).toBe(false);
    expect(await seedCount()).toBe(PRODUCTS);
    expect(await models.get(WIDE.id)).toBeNull();
    expect((await nearest(unitVector(3, 8), SMALL.id, 1, 40))[0]?.productId).toBe('p3');
    // A worker still embedding with the dropped model cannot bring its vectors back.
    await expect(embeddings.upsertMany(rows(WIDE, 1))).rejects.toMatchObject({ code: 'MODEL_NOT_REGISTERED' });
    await expect(models.drop(WIDE.id)).rejects.toMatchObject({ code: 'MODEL_NOT_REGISTERED' });

    await expect(models.drop(SMALL.id)).rejects.toMatchObject({ code: 'ACTIVE_MODEL_DROP_REFUSED' });
    expect(await seedCount()).toBe(PRODUCTS);
    expect(await models.drop(SMALL.id, { force: true })).toMatchObject({
      wasActive: true,
      droppedEmbeddings: PRODUCTS,
    });
    expect(await seedCount()).toBe(0);
    await expect(models.requireActive()).rejects.toMatchObject({ code: 'NO_ACTIVE_MODEL' });
  });

  it('finishes a drop interrupted after the rows went (the index alone is left)', async () => {
    await db.pool.query('UPDATE models SET active = false');
    await db.pool.query('DELETE FROM models WHERE id = $1', [WIDE.id]);
    expect(await models.drop(WIDE.id)).toEqual({ modelId: WIDE.id, droppedEmbeddings: 0, wasActive: false });
    expect(
      (await db.pool.query('SELECT to_regclass($1) AS index', [modelIndexName(WIDE.id)])).rows[0]?.index,
    ).toBeNull();
  });
});
