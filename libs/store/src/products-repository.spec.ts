import { createTestSchema, type TestSchema } from '@vectorizer/testing';
import { InvalidStoreInputError } from './errors';
import { createPool } from './pool';
import { ProductsRepository } from './products-repository';
import { runMigrations } from './run-migrations';

const MODEL = 'test/model';

describe('ProductsRepository', () => {
  let db: TestSchema;
  let products: ProductsRepository;

  beforeAll(async () => {
    db = await createTestSchema('store_products', { connect: (url, schema) => createPool(url, { schema, max: 2 }) });
    await runMigrations(db.pool, { model: { id: MODEL, dimension: 4 } });
    products = new ProductsRepository(db.pool);
  });

  afterAll(async () => {
    await db.drop();
  });

  beforeEach(async () => {
    await db.pool.query('TRUNCATE products CASCADE');
  });

  async function embed(id: string, imageUrl: string): Promise<void> {
    await db.pool.query(
      `INSERT INTO product_embeddings (product_id, model, dim, embedding_visual, image_url, image_sha256)
       VALUES ($1, $2, 4, '[1,0,0,0]', $3, $4)
       ON CONFLICT (product_id, model) DO UPDATE SET image_url = EXCLUDED.image_url`,
      [id, MODEL, imageUrl, 'b'.repeat(64)],
    );
  }

  async function collect(
    iterable: AsyncIterable<{ id: string; imageUrl: string }[]>,
  ): Promise<{ id: string; imageUrl: string }[][]> {
    const pages: { id: string; imageUrl: string }[][] = [];
    for await (const page of iterable) pages.push(page);
    return pages;
  }

  it('inserts, then updates only what changed, keeping updated_at of unchanged rows', async () => {
    const input = [
      { id: 'a', imageUrl: 'https://img/a.jpg', title: 'A', attributes: { color: 'red' } },
      { id: 'b', imageUrl: 'https://img/b.jpg' },
    ];
    expect(await products.upsertMany(input)).toBe(2);
    const a = await products.get('a');
    expect(a).toMatchObject({ id: 'a', imageUrl: 'https://img/a.jpg', title: 'A', attributes: { color: 'red' } });
    expect(await products.get('b')).toMatchObject({ title: null, attributes: null });

    expect(await products.upsertMany(input)).toBe(0);
    expect((await products.get('a'))?.updatedAt).toEqual(a?.updatedAt);

    expect(
      await products.upsertMany([{ ...input[0], title: 'A2' } as (typeof input)[0], input[1] as (typeof input)[1]]),
    ).toBe(1);
    const changed = await products.get('a');
    expect(changed?.title).toBe('A2');
    expect(changed?.updatedAt.getTime()).toBeGreaterThan(a?.updatedAt.getTime() ?? Infinity);
    expect(changed?.createdAt).toEqual(a?.createdAt);
    expect(await products.count()).toBe(2);
    expect(await products.get('missing')).toBeUndefined();
  });

  it('deletes a product with its embeddings, and says when there was none', async () => {
    await products.upsertMany([
      { id: 'a', imageUrl: 'https://img/a.jpg' },
      { id: 'b', imageUrl: 'https://img/b.jpg' },
    ]);
    await embed('a', 'https://img/a.jpg');
    expect(await products.delete('a')).toEqual({ imageUrl: 'https://img/a.jpg' });
    expect(await products.get('a')).toBeUndefined();
    const { rows } = await db.pool.query('SELECT product_id FROM product_embeddings');
    expect(rows).toEqual([]);
    expect(await products.delete('a')).toBeUndefined();
    expect(await products.get('b')).toBeDefined();
  });

  it('keeps the last occurrence of a repeated id and writes 1000 rows per statement', async () => {
    const spy = jest.spyOn(db.pool, 'query');
    try {
      const many = Array.from({ length: 2500 }, (_, i) => ({
        id: `p${String(i).padStart(5, '0')}`,
        imageUrl: `https://img/${i}.jpg`,
      }));
      many.push({ id: 'p00000', imageUrl: 'https://img/last.jpg' });
      expect(await products.upsertMany(many)).toBe(2500);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
    expect(await products.count()).toBe(2500);
    expect((await products.get('p00000'))?.imageUrl).toBe('https://img/last.jpg');
  });

  it('rejects invalid products by index and field, writing nothing', async () => {
    await expect(
      products.upsertMany([
        { id: 'ok', imageUrl: 'https://img/ok.jpg' },
        { id: '', imageUrl: 'x' },
      ]),
    ).rejects.toThrow('products[1].id must be a non-empty string');
    await expect(products.upsertMany([{ id: 'x', imageUrl: '' }])).rejects.toBeInstanceOf(InvalidStoreInputError);
    await expect(
      products.upsertMany([{ id: 'x', imageUrl: 'u', attributes: [1] as unknown as Record<string, unknown> }]),
    ).rejects.toThrow(/attributes must be an object/);
    expect(await products.count()).toBe(0);
  });

  it('streams missing and stale products in keyset pages', async () => {
    await products.upsertMany(Array.from({ length: 7 }, (_, i) => ({ id: `p${i}`, imageUrl: `https://img/${i}.jpg` })));
    await embed('p1', 'https://img/1.jpg'); // fresh
    await embed('p2', 'https://img/2.jpg'); // fresh, then its image changes → stale
    await embed('p3', 'https://img/old-3.jpg'); // embedded from an older image → stale
    await products.upsertMany([{ id: 'p2', imageUrl: 'https://img/2-new.jpg' }]);

    const pages = await collect(products.streamNeedingEmbedding(MODEL, { batchSize: 2 }));
    expect(pages.map((page) => page.map((p) => p.id))).toEqual([
      ['p0', 'p2'],
      ['p3', 'p4'],
      ['p5', 'p6'],
    ]);
    expect(pages[0]?.[1]).toEqual({ id: 'p2', imageUrl: 'https://img/2-new.jpg' });

    // Another model has nothing embedded.
    expect((await collect(products.streamNeedingEmbedding('other/model', { batchSize: 100 }))).flat()).toHaveLength(7);
    // all: every product; ids: only those (still only the ones needing it unless all).
    expect(
      (await collect(products.streamNeedingEmbedding(MODEL, { all: true, batchSize: 3 }))).map((p) => p.length),
    ).toEqual([3, 3, 1]);
    expect(
      (await collect(products.streamNeedingEmbedding(MODEL, { ids: ['p1', 'p2', 'nope'] }))).flat().map((p) => p.id),
    ).toEqual(['p2']);
    expect(
      (await collect(products.streamNeedingEmbedding(MODEL, { ids: ['p1', 'p2'], all: true }))).flat().map((p) => p.id),
    ).toEqual(['p1', 'p2']);
    expect(await collect(products.streamNeedingEmbedding(MODEL, { ids: [] }))).toEqual([]);
  });

  it('walks pages with bounded memory: one LIMITed query per page', async () => {
    await products.upsertMany(
      Array.from({ length: 10 }, (_, i) => ({ id: `q${i}`, imageUrl: `https://img/${i}.jpg` })),
    );
    const spy = jest.spyOn(db.pool, 'query');
    try {
      const pages = await collect(products.streamNeedingEmbedding(MODEL, { batchSize: 5 }));
      expect(pages.map((p) => p.length)).toEqual([5, 5]);
      // The second full page needs a third query to learn that nothing follows.
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('checks a list of ids by a primary-key probe per product, even from stale statistics', async () => {
    // Statistics from when the tables were nearly empty, then 20k products and vectors written
    // without an ANALYZE (as after a bulk load with autovacuum behind): an anti join would hash
    // every vector of the model to check a few ids.
    await db.pool.query('ALTER TABLE product_embeddings SET (autovacuum_enabled = false)');
    await db.pool.query('ALTER TABLE products SET (autovacuum_enabled = false)');
    await db.pool.query('ANALYZE products, product_embeddings');
    await db.pool.query(
      `INSERT INTO products (id, image_url) SELECT 'p' || g, 'https://img/' || g FROM generate_series(1, 20000) g`,
    );
    await db.pool.query(
      `INSERT INTO product_embeddings (product_id, model, dim, embedding_visual, image_url, image_sha256)
       SELECT 'p' || g, $1, 4, '[1,0,0,0]', 'https://img/' || g, repeat('b', 64) FROM generate_series(1, 20000) g`,
      [MODEL],
    );
    const ids = Array.from({ length: 1000 }, (_, i) => `p${i * 20 + 1}`);
    const issued: { text: string; values: unknown[] }[] = [];
    const query = db.pool.query.bind(db.pool);
    const spy = jest.spyOn(db.pool, 'query').mockImplementation(((text: string, values: unknown[]) => {
      issued.push({ text, values });
      return query(text, values);
    }) as never);
    try {
      expect(await collect(products.streamNeedingEmbedding(MODEL, { ids, batchSize: 1000 }))).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    const [{ text, values } = { text: '', values: [] }] = issued;
    const { rows } = await db.pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, values);
    const plan = JSON.stringify(rows[0]?.['QUERY PLAN']);
    expect(plan).toContain('"Relation Name":"product_embeddings"');
    expect(plan.match(/"Join Type":"\w+"/g) ?? []).not.toContain('"Join Type":"Anti"');
  });

  it('rejects a bad page size', async () => {
    await expect(collect(products.streamNeedingEmbedding(MODEL, { batchSize: 0 }))).rejects.toThrow(/batchSize/);
  });
});
