import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDevModel, resolveModel } from '@vectorizer/embedder';
import { EmbeddingsRepository, ProductsRepository, createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase, type TestDatabase } from '@vectorizer/testing';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const devModelDir = join(repoRoot, 'tmp', 'models', 'dev-tiny');

function unitVector(seed: number, dimension: number): Float32Array {
  const v = new Float32Array(dimension);
  let state = seed * 7919 + 17;
  for (let i = 0; i < dimension; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    v[i] = state / 2147483648 - 0.5;
  }
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe('vectorizer search', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    await ensureDevModel({ dir: devModelDir, size: 'tiny' });
    const model = await resolveModel({ modelDir: devModelDir, dtype: 'fp32', devModelSize: 'tiny' });
    database = await createTestDatabase('cli_search');
    const pool = createPool(database.url, { max: 1 });
    try {
      await runMigrations(pool, { dimension: model.dimension });
      const rows: [string, Float32Array][] = [
        ['shoe', unitVector(1, model.dimension)],
        ['shoe-dup', unitVector(1, model.dimension)],
        ['hat', unitVector(2, model.dimension)],
        ['bag', unitVector(3, model.dimension)],
      ];
      await new ProductsRepository(pool).upsertMany(
        rows.map(([id]) => ({ id, title: id.toUpperCase(), imageUrl: `https://img.test/${id}.jpg` })),
      );
      await new EmbeddingsRepository(pool).upsertMany(
        rows.map(([id, embedding]) => ({
          productId: id,
          model: model.id,
          embedding,
          imageUrl: `https://img.test/${id}.jpg`,
          imageSha256: 'b'.repeat(64),
        })),
      );
    } finally {
      await pool.end();
    }
  }, 60_000);

  afterAll(() => database.drop());

  const search = (...args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin', 'vectorizer.js'), 'search', ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: database.url,
        MODEL_DIR: devModelDir,
        LOG_FORMAT: 'json',
        VECTORIZER_DEVICE: 'cpu',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('finds the exact duplicate of a product first', () => {
    const result = search('--product', 'shoe', '-k', '2', '--json');
    expect(result.status).toBe(0);
    const { results } = JSON.parse(result.stdout);
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
    expect(result.stdout.split('\n')[0]).toMatch(/^ {2}1 {2}1\.0000 {2}shoe-dup\tSHOE-DUP\t/);
  });

  it('runs a text query through the text tower', () => {
    const result = search('--text', 'a red shoe', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).results).toHaveLength(4);
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
});
