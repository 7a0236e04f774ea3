import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDevModel, resolveModel } from '@vectorizer/embedder';
import { EmbeddingsRepository, ProductsRepository, createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase, type TestDatabase } from '@vectorizer/testing';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const devModelDir = join(repoRoot, 'tmp', 'models', 'dev-tiny');

/** A deterministic unit vector; `nudge` moves it slightly (a re-encoded copy of the same photo). */
function unitVector(seed: number, dimension: number, nudge = 0): Float32Array {
  const v = new Float32Array(dimension);
  let state = seed * 7919 + 17;
  for (let i = 0; i < dimension; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    v[i] = state / 2147483648 - 0.5 + (i === 0 ? nudge : 0);
  }
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe('vectorizer duplicates', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    await ensureDevModel({ dir: devModelDir, size: 'tiny' });
    const model = await resolveModel({ modelDir: devModelDir, dtype: 'fp32', devModelSize: 'tiny' });
    database = await createTestDatabase('cli_duplicates');
    const pool = createPool(database.url, { max: 2 });
    try {
      await runMigrations(pool, { dimension: model.dimension });
      const d = model.dimension;
      // Planted: a triple (a1~a2~a3) and a pair (b1~b2); the other 20 products are unrelated.
      const vectors: [string, Float32Array][] = [
        ['a1', unitVector(1, d)],
        ['a2', unitVector(1, d, 0.01)],
        ['a3', unitVector(1, d, -0.01)],
        ['b1', unitVector(2, d)],
        ['b2', unitVector(2, d)],
        ...Array.from({ length: 20 }, (_, i): [string, Float32Array] => [
          `u${String(i).padStart(2, '0')}`,
          unitVector(100 + i, d),
        ]),
      ];
      await new ProductsRepository(pool).upsertMany(
        vectors.map(([id]) => ({ id, title: `Product ${id}`, imageUrl: `https://img.test/${id}.jpg` })),
      );
      await new EmbeddingsRepository(pool).upsertMany(
        vectors.map(([id, embedding]) => ({
          productId: id,
          model: model.id,
          embedding,
          imageUrl: `https://img.test/${id}.jpg`,
          imageSha256: 'a'.repeat(64),
        })),
      );
    } finally {
      await pool.end();
    }
  }, 120_000);

  afterAll(() => database.drop());

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin', 'vectorizer.js'), 'duplicates', ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: database.url,
        MODEL_DIR: devModelDir,
        LOG_FORMAT: 'json',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('finds the planted groups and nothing else', () => {
    const result = run('--json');
    expect(result.status).toBe(0);
    const { threshold, groups } = JSON.parse(result.stdout);
    expect(threshold).toBe(0.97);
    const ids = groups.map((g: { products: { productId: string }[] }) => g.products.map((p) => p.productId));
    expect(ids).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2'],
    ]);
    expect(groups[0].products[0]).toMatchObject({
      productId: 'a1',
      title: 'Product a1',
      imageUrl: 'https://img.test/a1.jpg',
    });
    expect(groups[1].maxScore).toBeCloseTo(1, 5);
    expect(groups[0].minScore).toBeGreaterThanOrEqual(0.97);
  });

  it('prints groups for people', () => {
    const result = run('--threshold', '0.97');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('group 1: 3 products');
    expect(result.stdout).toContain('2 group(s), 5 products.');
  });

  it('refuses a threshold outside (0, 1]', () => {
    const result = run('--threshold', '1.5');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--threshold must be a cosine similarity in (0, 1]');
  });
});
