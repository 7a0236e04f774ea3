import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniquePrefix, type TestDatabase } from '@vectorizer/testing';
import { createEmbeddedCatalog, unitVector } from './test-support/embedded-catalog';
import { TINY_DEV_MODEL_DIR, runCliSync } from './test-support/run-cli';

/** What a newcomer types wrong, as the real CLI answers it: one line with the cause and the fix. */
describe('user errors from the CLI', () => {
  let database: TestDatabase;
  let work: string;
  let csvWithoutImageUrl: string;

  beforeAll(async () => {
    database = await createEmbeddedCatalog('cli_user_errors', (dimension) => [
      { id: 'shoe', title: 'Shoe', embedding: unitVector(1, dimension) },
    ]);
    work = await mkdtemp(join(tmpdir(), 'vectorizer-user-errors-'));
    csvWithoutImageUrl = join(work, 'catalog.csv');
    await writeFile(csvWithoutImageUrl, 'id,title\nshoe,Shoe\n');
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
    await rm(work, { recursive: true, force: true });
  });

  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCliSync(args, {
      DATABASE_URL: database.url,
      MODEL_DIR: TINY_DEV_MODEL_DIR,
      QUEUE_PREFIX: uniquePrefix('cli-user-errors'),
      ...env,
    });
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

  it('search --product of an unknown id: one plain line on a terminal-style log, no stack', () => {
    const result = cli(['search', '--product', 'no-such-product'], { LOG_FORMAT: 'pretty' });
    expect(result.status).toBe(1);
    // Similar-product search compares stored vectors and loads no model, so no dev-model notice: the error alone.
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        /^vectorizer search: Product "no-such-product" does not exist — fix: Ingest the product first .* \[PRODUCT_NOT_FOUND\]$/,
      ),
    ]);
    expect(result.stderr).not.toContain('    at ');
  });

  it('a command that loads the dev model says so in one short line', () => {
    const result = cli(['search', '--text', 'a shoe', '--json'], { LOG_FORMAT: 'pretty' });
    expect(result.status).toBe(0);
    // Every line that speaks of the dev model, its random weights or how to replace it: exactly one.
    const notices = lines(result.stderr).filter((line) => /dev.model|random weights|MODEL_ID|MODEL_DIR/i.test(line));
    expect(notices).toEqual([
      expect.stringContaining('dev model vectorizer/dev-siglip-tiny (random weights): results mean nothing'),
    ]);
  });

  it('a CSV without image_url: one JSON line with the cause, the fix and the code, no stack', () => {
    const result = cli(['ingest', csvWithoutImageUrl]);
    expect(result.status).toBe(1);
    const fatal = lines(result.stderr)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({
      code: 'CATALOG_HEADER_INVALID',
      msg: expect.stringMatching(/^ingest failed: the CSV header .*"image_url".* — fix: put a header row/),
    });
    expect(fatal[0]).not.toHaveProperty('err');
    expect(result.stderr).not.toContain('    at ');
  });

  it('LOG_LEVEL=debug adds the stack', () => {
    const result = cli(['search', '--product', 'no-such-product'], { LOG_LEVEL: 'debug' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PRODUCT_NOT_FOUND');
    expect(result.stderr).toContain('    at ');
  });
});
