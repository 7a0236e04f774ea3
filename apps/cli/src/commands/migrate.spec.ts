import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { createTestDatabase, type TestDatabase } from '@vectorizer/testing';
import { Client } from 'pg';
import { registerMigrate } from './migrate';

const BIN = join(__dirname, '../../../../bin/vectorizer.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function vectorizer(databaseUrl: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, DATABASE_URL: databaseUrl, LOG_FORMAT: 'json', LOG_LEVEL: 'warn' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('vectorizer migrate', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('cli_migrate');
  });

  afterAll(async () => {
    await db.drop();
  });

  it('migrates an empty database once when two processes race, then is a no-op', async () => {
    const racing = await Promise.all([
      vectorizer(db.url, 'migrate', '--dimension', '64'),
      vectorizer(db.url, 'migrate', '--dimension', '64'),
    ]);
    expect(racing.map((run) => run.code)).toEqual([0, 0]);
    const lines = racing.map((run) => run.stdout.trim()).sort();
    expect(lines[0]).toBe(
      'applied 4 migration(s) 0001_create_products, 0002_create_product_embeddings, 0004_notify_products_to_embed, 0005_reuse_identical_images (schema version 5); embedding_visual bound to vector(64)',
    );
    expect(lines[1]).toBe('schema up to date (version 5); embedding_visual bound to vector(64)');

    const again = await vectorizer(db.url, 'migrate', '--dimension', '64');
    expect(again).toMatchObject({
      code: 0,
      stdout: 'schema up to date (version 5); embedding_visual bound to vector(64)\n',
    });
  });

  it('refuses another dimension with both dimensions and the way out; --reembed drops and rebinds', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query("INSERT INTO products (id, image_url) VALUES ('p1', 'https://img/p1.jpg')");
      await client.query(
        `INSERT INTO product_embeddings (product_id, model, dim, embedding_visual, image_url, image_sha256)
         VALUES ('p1', 'm', 64, array_fill(0.125, ARRAY[64])::real[]::vector, 'https://img/p1.jpg', $1)`,
        ['c'.repeat(64)],
      );
      const refused = await vectorizer(db.url, 'migrate', '--dimension', '32');
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('EMBEDDING_DIMENSION_MISMATCH');
      expect(refused.stderr).toContain(
        'bound to 64 dimensions, but the configured model produces 32-dimensional embeddings',
      );
      expect(refused.stderr).toContain('npx vectorizer migrate --reembed');

      const reembedded = await vectorizer(db.url, 'migrate', '--dimension', '32', '--reembed');
      expect(reembedded).toMatchObject({
        code: 0,
        stdout:
          'schema up to date (version 5); embedding_visual bound to vector(32); ' +
          '--reembed dropped 1 embedding(s) of dimension 64; next: npx vectorizer enqueue --all\n',
      });
      expect((await client.query('SELECT 1 FROM product_embeddings')).rowCount).toBe(0);
      expect((await client.query('SELECT 1 FROM products')).rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('rejects a malformed --dimension and documents the follow-up of --reembed in its help', async () => {
    const bad = await vectorizer(db.url, 'migrate', '--dimension', 'abc');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('expected a positive whole number');

    const program = new Command('vectorizer');
    registerMigrate(program);
    const help = program.commands.find((command) => command.name() === 'migrate')?.helpInformation() ?? '';
    expect(help.replace(/\s+/g, ' ')).toContain('afterwards run `npx vectorizer enqueue --all`');
  });
});
