import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel, writeDemoCatalog } from '@vectorizer/dev-model';
import { Embedder, resolveModel } from '@vectorizer/embedder';
import { createLogger } from '@vectorizer/logger';
import {
  EmbeddingsRepository,
  ProductsRepository,
  SearchRepository,
  createPool,
  runMigrations,
} from '@vectorizer/store';
import { DEV_TINY_MODEL_DIR, type TestSchema, createTestSchema } from '@vectorizer/testing';
import { findDuplicates } from './find-duplicates';

const DEMO_PRODUCTS = 300;

/**
 * The demo catalog (every tenth product reuses an earlier product's image) embedded with the tiny
 * dev model into real pgvector: the catalog on which a fixed 0.97 put all 300 products in one group.
 */
describe('findDuplicates on the demo catalog (dev model, pgvector)', () => {
  let schema: TestSchema;
  let dir: string;
  let embeddings: EmbeddingsRepository;
  let modelId: string;
  const plantedPairs: string[][] = [];

  beforeAll(async () => {
    await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
    const model = await resolveModel({ modelDir: DEV_TINY_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' });
    modelId = model.id;
    schema = await createTestSchema('search_dups', {
      connect: (url, name) => createPool(url, { schema: name, max: 2 }),
    });
    await runMigrations(schema.pool, { model });
    dir = await mkdtemp(join(tmpdir(), 'demo-dups-'));
    const catalogFile = await writeDemoCatalog(dir, DEMO_PRODUCTS);
    const rows = (await readFile(catalogFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; image_url: string; title: string });
    const imageFile = (row: { image_url: string }) => join(dir, 'images', row.image_url.split('/').pop() as string);
    const byImage = new Map<string, string[]>();
    for (const row of rows) byImage.set(row.image_url, [...(byImage.get(row.image_url) ?? []), row.id]);
    plantedPairs.push(...[...byImage.values()].filter((ids) => ids.length > 1).map((ids) => ids.sort()));

    const embedder = await Embedder.start({
      model,
      device: 'cpu',
      allowCpuFallback: false,
      maxBatchSize: 32,
      threads: 1,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const vectors = await embedder.embedImages(await Promise.all(rows.map((row) => readFile(imageFile(row)))));
      await new ProductsRepository(schema.pool).upsertMany(
        rows.map((row) => ({ id: row.id, title: row.title, imageUrl: row.image_url })),
      );
      embeddings = new EmbeddingsRepository(schema.pool);
      await embeddings.upsertMany(
        rows.map((row, i) => ({
          productId: row.id,
          model: model.id,
          embedding: vectors[i],
          imageUrl: row.image_url,
          imageSha256: 'a'.repeat(64),
        })),
      );
    } finally {
      await embedder.close();
    }
  }, 180_000);

  afterAll(async () => {
    await schema?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (threshold: number | 'auto') =>
    findDuplicates({
      productIds: embeddings.embeddedProductIds(modelId),
      neighbours: (productId) =>
        new SearchRepository(schema.pool).nearestHnsw({ productId }, modelId, { k: 10, efSearch: 100 }),
      describe: async () => undefined,
      threshold,
    });

  it('the automatic threshold finds exactly the planted pairs', async () => {
    expect(plantedPairs).toHaveLength(DEMO_PRODUCTS / 10);
    const report = await run('auto');
    const groups = report.groups.map((group) => group.products.map((p) => p.productId).sort());
    expect(groups.sort()).toEqual([...plantedPairs].sort());
    const choice = report.choice;
    expect(choice?.rule).toBe('widest-gap');
    expect(choice?.distribution.count).toBe(DEMO_PRODUCTS);
    expect(choice?.productsAbove).toBe(2 * plantedPairs.length);
    // The cut lies between the closest distinct products and the identical images.
    expect(choice?.gap?.above).toBeCloseTo(1, 5);
    expect(report.threshold).toBeLessThan(1 - 1e-6);
    expect(report.threshold).toBeGreaterThan(choice?.distribution.median as number);
  });

  it('the old fixed 0.97 merges the whole demo catalog, which is why the default is chosen from the data', async () => {
    const report = await run(0.97);
    expect(report.choice).toBeUndefined();
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0].products).toHaveLength(DEMO_PRODUCTS);
  });
});
