import type { TestDatabase } from '@vectorizer/testing';
import { createEmbeddedCatalog, unitVector } from '../test-support/embedded-catalog';
import { TINY_DEV_MODEL_DIR, runCliSync } from '../test-support/run-cli';

describe('vectorizer duplicates', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    // Planted: a triple (a1~a2~a3) and a pair (b1~b2); the other 20 products are unrelated.
    database = await createEmbeddedCatalog('cli_duplicates', (d) => {
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
      return vectors.map(([id, embedding]) => ({ id, title: `Product ${id}`, embedding }));
    });
  }, 120_000);

  afterAll(() => database.drop());

  const run = (...args: string[]) =>
    runCliSync(['duplicates', ...args], { DATABASE_URL: database.url, MODEL_DIR: TINY_DEV_MODEL_DIR });

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
