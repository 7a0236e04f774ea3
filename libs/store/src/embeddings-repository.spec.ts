import { createHash } from 'node:crypto';
import { createTestSchema, type TestSchema } from '@vectorizer/testing';
import { EmbeddingsRepository } from './embeddings-repository';
import { InvalidStoreInputError, VectorDimensionMismatchError } from './errors';
import { createPool } from './pool';
import { ProductsRepository } from './products-repository';
import { runMigrations } from './run-migrations';
import type { EmbeddingRow } from './types';

const DIMENSION = 16;
const MODEL = 'test/model';

/** A deterministic pseudo-random unit vector per seed. */
function unitVector(seed: number): Float32Array {
  const vector = new Float32Array(DIMENSION);
  let state = seed * 2654435761;
  for (let i = 0; i < DIMENSION; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    vector[i] = state / 2147483648 - 0.5;
  }
  const norm = Math.hypot(...vector);
  return vector.map((v) => v / norm);
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const row = (productId: string, embedding: Float32Array, model = MODEL): EmbeddingRow => ({
  productId,
  model,
  embedding,
  imageUrl: `https://img/${productId}.jpg`,
  imageSha256: sha(productId),
});

describe('EmbeddingsRepository', () => {
  let db: TestSchema;
  let products: ProductsRepository;
  let embeddings: EmbeddingsRepository;

  beforeAll(async () => {
    db = await createTestSchema('store_embeddings', { connect: (url, schema) => createPool(url, { schema, max: 2 }) });
    await runMigrations(db.pool, { model: { id: MODEL, dimension: DIMENSION } });
    await runMigrations(db.pool, { model: { id: 'other/model', dimension: DIMENSION } });
    products = new ProductsRepository(db.pool);
    embeddings = new EmbeddingsRepository(db.pool);
  });

  afterAll(async () => {
    await db.drop();
  });

  beforeEach(async () => {
    await db.pool.query('TRUNCATE products CASCADE');
  });

  const addProducts = (count: number, prefix = 'p'): Promise<number> =>
    products.upsertMany(
      Array.from({ length: count }, (_, i) => ({
        id: `${prefix}${i}`,
        imageUrl: `https://img/${prefix}${i}.jpg`,
        title: `T${i}`,
      })),
    );

  it('writes a batch of Float32Array embeddings with one statement, idempotently', async () => {
    await addProducts(5);
    const rows = Array.from({ length: 5 }, (_, i) => row(`p${i}`, unitVector(i)));
    const spy = jest.spyOn(db.pool, 'query');
    try {
      expect(await embeddings.upsertMany(rows)).toEqual({ written: 5, superseded: [] });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    expect((await embeddings.upsertMany(rows)).written).toBe(5);
    const stored = await db.pool.query<{
      product_id: string;
      dim: number;
      embedding_visual: number[];
      image_sha256: string;
    }>('SELECT product_id, dim, embedding_visual, image_sha256 FROM product_embeddings ORDER BY product_id');
    expect(stored.rowCount).toBe(5);
    expect(stored.rows[0]?.dim).toBe(DIMENSION);
    expect(stored.rows[0]?.image_sha256).toBe(sha('p0'));
    // The pool's type parser returns number[]; float4 values survive the round trip exactly.
    expect(Float32Array.from(stored.rows[0]?.embedding_visual ?? [])).toEqual(unitVector(0));
    expect(await embeddings.countEmbedded(MODEL)).toBe(5);
    expect(await embeddings.countMissing(MODEL)).toBe(0);
  });

  it('replaces an embedding on conflict and skips rows of deleted products', async () => {
    await addProducts(2);
    await embeddings.upsertMany([row('p0', unitVector(1))]);
    const gone = row('gone', unitVector(3));
    expect(await embeddings.upsertMany([row('p0', unitVector(2)), gone])).toEqual({ written: 1, superseded: [gone] });
    const stored = await db.pool.query<{ embedding_visual: number[] }>(
      "SELECT embedding_visual FROM product_embeddings WHERE product_id = 'p0'",
    );
    expect(Float32Array.from(stored.rows[0]?.embedding_visual ?? [])).toEqual(unitVector(2));
    expect(await embeddings.countEmbedded(MODEL)).toBe(1);
    expect(await embeddings.countMissing(MODEL)).toBe(1);
  });

  it('never lets a row for a previous image overwrite the embedding of the current one', async () => {
    await addProducts(1);
    const newUrl = 'https://img/p0-v2.jpg';
    await products.upsertMany([{ id: 'p0', imageUrl: newUrl, title: 'T0' }]);
    const current = { ...row('p0', unitVector(2)), imageUrl: newUrl };
    const stale = row('p0', unitVector(1)); // embedded from the old URL, finished late
    expect(await embeddings.upsertMany([current])).toEqual({ written: 1, superseded: [] });
    expect(await embeddings.upsertMany([stale])).toEqual({ written: 0, superseded: [stale] });
    // Both in one call, in either order: only the current image's row is written.
    expect(await embeddings.upsertMany([current, stale])).toEqual({ written: 1, superseded: [stale] });
    expect(await embeddings.upsertMany([stale, current])).toEqual({ written: 1, superseded: [stale] });
    const stored = await db.pool.query<{ embedding_visual: number[]; image_url: string }>(
      "SELECT embedding_visual, image_url FROM product_embeddings WHERE product_id = 'p0'",
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]?.image_url).toBe(newUrl);
    expect(Float32Array.from(stored.rows[0]?.embedding_visual ?? [])).toEqual(unitVector(2));
  });

  it('counts an embedding as stale once the product image_url changes', async () => {
    await addProducts(3);
    await embeddings.upsertMany([row('p0', unitVector(0)), row('p1', unitVector(1))]);
    expect([await embeddings.countEmbedded(MODEL), await embeddings.countMissing(MODEL)]).toEqual([2, 1]);
    await products.upsertMany([{ id: 'p1', imageUrl: 'https://img/p1-v2.jpg', title: 'T1' }]);
    expect([await embeddings.countEmbedded(MODEL), await embeddings.countMissing(MODEL)]).toEqual([1, 2]);
    expect([await embeddings.countEmbedded('other'), await embeddings.countMissing('other')]).toEqual([0, 3]);
  });

  it('rejects bad rows and vectors of the wrong dimension with named errors', async () => {
    await addProducts(1);
    // The batch names a non-finite vector before any write; pgvector is the last line behind it.
    await expect(embeddings.upsertMany([row('p0', new Float32Array([1, NaN]))])).rejects.toThrow(
      /NaN not allowed in vector/,
    );
    await expect(embeddings.upsertMany([{ ...row('p0', unitVector(0)), imageSha256: 'xyz' }])).rejects.toBeInstanceOf(
      InvalidStoreInputError,
    );
    await expect(embeddings.upsertMany([row('p0', new Float32Array(8).fill(0.5))])).rejects.toBeInstanceOf(
      VectorDimensionMismatchError,
    );
    await expect(embeddings.upsertMany([row('p0', unitVector(0), 'never/registered')])).rejects.toMatchObject({
      code: 'MODEL_NOT_REGISTERED',
    });
  });
});
