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

  it('by default chooses the threshold from the catalog and finds the planted groups and nothing else', () => {
    const result = run('--json');
    expect(result.status).toBe(0);
    const { threshold, choice, groups } = JSON.parse(result.stdout);
    // The break lies between the unrelated products' nearest neighbours and the planted copies.
    expect(choice.rule).toBe('widest-gap');
    expect(choice.distribution.count).toBe(25);
    expect(threshold).toBeGreaterThan(choice.gap.below);
    expect(threshold).toBeLessThan(choice.gap.above);
    expect(choice.productsAbove).toBe(5);
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
    expect(groups[0].minScore).toBeGreaterThanOrEqual(threshold);
  });

  it('prints the distribution and the chosen threshold', () => {
    const result = run();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/nearest-neighbour similarity over 25 products: min .* median .* max /);
    expect(result.stdout).toMatch(/threshold 0\.\d{4} \(auto: middle of the widest gap/);
    expect(result.stdout).toContain('2 group(s), 5 products.');
  });

  it('takes a threshold given by hand, and prints no automatic choice then', () => {
    const result = run('--threshold', '0.97');
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('auto:');
    expect(result.stdout).toContain('group 1: 3 products');
    expect(result.stdout).toContain('2 group(s), 5 products.');
  });

  it('refuses a threshold outside (0, 1]', () => {
    const result = run('--threshold', '1.5');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--threshold must be a cosine similarity in (0, 1]');
  });
});
