import { createTestDatabase, createTestSchema, type TestDatabase, type TestSchema } from '@vectorizer/testing';
import { createPool, runMigrations } from '@vectorizer/store';
import type { Pool } from 'pg';
import { checkPgvector, checkSchema, judgePgvector } from './postgres-checks';

describe('pgvector check', () => {
  it('fails naming the server install when pgvector is not installed on the server at all', () => {
    // pgvector is installed on this machine, so the server-side absence is exercised on the judge.
    const result = judgePgvector({ pgvectorVersion: null, pgvectorAvailableVersion: null });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('no pgvector extension installed');
    expect(result.fix).toContain('ensure-pgvector.sh');
  });

  it('fails on a version without HNSW support', () => {
    const result = judgePgvector({ pgvectorVersion: '0.4.4', pgvectorAvailableVersion: '0.4.4' });
    expect(result).toMatchObject({ status: 'fail' });
    expect(result.detail).toContain('too old');
  });

  // Search always sets hnsw.iterative_scan; a server without it fails every search.
  it.each(['0.5.1', '0.7.4'])('fails on %s, which has HNSW but no iterative index scans', (version) => {
    const result = judgePgvector({ pgvectorVersion: version, pgvectorAvailableVersion: version });
    expect(result).toMatchObject({ status: 'fail' });
    expect(result.detail).toContain('iterative HNSW index scans (filtered search) need 0.8.0 or newer');
  });

  it.each(['0.8.0', '0.10.2', '1.0.0'])('passes %s', (version) => {
    expect(judgePgvector({ pgvectorVersion: version, pgvectorAvailableVersion: version })).toMatchObject({
      status: 'ok',
    });
  });

  describe('on a fresh database where the extension was never created', () => {
    let database: TestDatabase;
    let pool: Pool;

    beforeAll(async () => {
      database = await createTestDatabase('health_pgvector');
      pool = createPool(database.url, { max: 2 });
    });

    afterAll(async () => {
      await pool.end();
      await database.drop();
    });

    it('fails with the command that creates it', async () => {
      const result = await checkPgvector(pool);
      expect(result.status).toBe('fail');
      expect(result.detail).toMatch(
        /pgvector \d+\.\d+\.\d+ is installed on the server but the extension is not created/,
      );
      expect(result.fix).toContain('npx vectorizer migrate');
    });

    it('reports the schema as not migrated', async () => {
      const result = await checkSchema(pool);
      expect(result.status).toBe('fail');
      expect(result.detail).toContain('pending migrations');
    });
  });
});

describe('schema check on a migrated schema', () => {
  let schema: TestSchema;

  beforeAll(async () => {
    schema = await createTestSchema('health_schema', {
      connect: (url, name) => createPool(url, { schema: name, max: 2 }),
    });
    await runMigrations(schema.pool, { model: { id: 'm', dimension: 16 } });
  });

  afterAll(() => schema.drop());

  it('is ok with an active model and its HNSW index', async () => {
    const result = await checkSchema(schema.pool);
    expect(result.status).toBe('ok');
    expect(result.detail).toContain('active model m (vector(16))');
    expect((await checkPgvector(schema.pool)).status).toBe('ok');
  });

  it('fails when the configured model produces another dimension than registered', async () => {
    const result = await checkSchema(schema.pool, { id: 'm', dimension: 32 });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('registered with 16 dimensions but the configured files produce 32');
  });

  it('fails when the HNSW index is missing', async () => {
    const { rows } = await schema.pool.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexdef ILIKE '%USING hnsw%'",
      [schema.schema],
    );
    expect(rows).toHaveLength(1);
    await schema.pool.query(`DROP INDEX ${schema.schema}.${rows[0].indexname}`);
    const result = await checkSchema(schema.pool);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('no HNSW index for model(s) m');
  });
});
