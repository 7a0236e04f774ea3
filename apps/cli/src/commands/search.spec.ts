import type { TestDatabase } from '@vectorizer/testing';
import { createEmbeddedCatalog, unitVector } from '../test-support/embedded-catalog';
import { TINY_DEV_MODEL_DIR, runCliSync } from '../test-support/run-cli';

describe('vectorizer search', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    const seeds = [
      ['shoe', 1],
      ['shoe-dup', 1],
      ['hat', 2],
      ['bag', 3],
    ] as const;
    database = await createEmbeddedCatalog('cli_search', (dimension) =>
      seeds.map(([id, seed]) => ({
        id,
        title: id.toUpperCase(),
        embedding: unitVector(seed, dimension),
        attributes: { category: id.startsWith('shoe') ? 'shoes' : 'accessories' },
      })),
    );
  }, 60_000);

  afterAll(() => database.drop());

  const search = (...args: string[]) =>
    runCliSync(['search', ...args], { DATABASE_URL: database.url, MODEL_DIR: TINY_DEV_MODEL_DIR });

  it('finds the exact duplicate of a product first', () => {
    const result = search('--product', 'shoe', '-k', '2', '--json');
    expect(result.status).toBe(0);
    const { model, results } = JSON.parse(result.stdout);
    expect(model).toMatch(/^vectorizer\/dev-siglip-tiny/);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({
      productId: 'shoe-dup',
      title: 'SHOE-DUP',
      imageUrl: 'https://img.test/shoe-dup.jpg',
    });
    expect(results[0].score).toBeCloseTo(1, 5);
  });

  it('prints ranked lines for people', () => {
    const result = search('--product', 'shoe', '-k', '3');
    expect(result.status).toBe(0);
    const [answeredBy, first] = result.stdout.split('\n');
    expect(answeredBy).toMatch(/^model vectorizer\/dev-siglip-tiny/);
    expect(first).toMatch(/^ {2}1 {2}1\.0000 {2}shoe-dup\tSHOE-DUP\t/);
  });

  it('runs a text query through the text tower', () => {
    const result = search('--text', 'a red shoe', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ model: expect.stringMatching(/dev-siglip-tiny/) });
    expect(JSON.parse(result.stdout).results).toHaveLength(4);
  });

  it('keeps only products whose attributes match --filter', () => {
    const shoes = search('--text', 'a red shoe', '--filter', '{"category":"shoes"}', '--json');
    expect(shoes.status).toBe(0);
    expect(
      JSON.parse(shoes.stdout)
        .results.map((r: { productId: string }) => r.productId)
        .sort(),
    ).toEqual(['shoe', 'shoe-dup']);
    const similar = search('--product', 'shoe', '--filter', '{"category":"accessories"}', '--json');
    expect(
      JSON.parse(similar.stdout)
        .results.map((r: { productId: string }) => r.productId)
        .sort(),
    ).toEqual(['bag', 'hat']);
    const malformed = search('--product', 'shoe', '--filter', '{"category":["shoes"]}');
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toContain('SEARCH_FILTER_INVALID');
    expect(malformed.stderr).toContain('--filter.category is an array');
  });

  it('says what is wrong with the arguments', () => {
    const none = search();
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('Give exactly one of --image FILE');
    const unknown = search('--product', 'nope');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('PRODUCT_NOT_FOUND');
    const missingFile = search('--image', '/nonexistent/photo.jpg');
    expect(missingFile.stderr).toContain('Cannot read /nonexistent/photo.jpg');
  });

  it("reads --text by the API's rules: not empty, at most 1000 characters", () => {
    const empty = search('--text', '   ');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('--text is required: the text to search for');
    expect(empty.stderr).toContain('SEARCH_INPUT_INVALID');
    const long = search('--text', 'x'.repeat(1_001));
    expect(long.status).toBe(1);
    expect(long.stderr).toContain('--text is 1001 characters long; at most 1000 are accepted');
  });
});
