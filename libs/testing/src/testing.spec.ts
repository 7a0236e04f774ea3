import Redis from 'ioredis';
import pg from 'pg';
import { createTestDatabase, createTestSchema, startRedisServer, uniqueIdentifier, uniquePrefix } from './index';

// The isolation helpers every other test file relies on: if these leak or collide, files running in
// parallel interfere with each other.
describe('test isolation helpers', () => {
  it('makes unique, valid names', () => {
    expect(uniquePrefix('My Suite')).toMatch(/^\{test-My-Suite-[0-9a-f]{8}\}$/);
    expect(uniquePrefix('a')).not.toBe(uniquePrefix('a'));
    expect(uniqueIdentifier('9 Store-Tests')).toMatch(/^_9_store_tests_[0-9a-f]{8}$/);
  });

  it('creates a schema that the pool uses, and drops it', async () => {
    const test = await createTestSchema('testing_helpers');
    await test.pool.query('CREATE TABLE probe (id int)');
    const found = await test.pool.query<{ schema: string }>(
      "SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'probe'",
    );
    expect(found.rows.map((row) => row.schema)).toContain(test.schema);
    await test.drop();
    const admin = new pg.Client({ connectionString: test.url });
    await admin.connect();
    const left = await admin.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [test.schema]);
    await admin.end();
    expect(left.rowCount).toBe(0);
  });

  it('creates and drops a database', async () => {
    const database = await createTestDatabase('testing_helpers');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    expect((await client.query('SELECT current_database() AS name')).rows[0].name).toBe(database.name);
    await client.end();
    await database.drop();
    const gone = new pg.Client({ connectionString: database.url });
    await expect(gone.connect()).rejects.toThrow(/does not exist/);
  });

  it('runs a private redis-server whose AOF survives kill -9', async () => {
    const server = await startRedisServer({ appendonly: true });
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.set('durable', 'yes');
      redis.disconnect();
      await server.kill9();
      await server.restart();
      const again = new Redis(server.url);
      expect(await again.get('durable')).toBe('yes');
      again.disconnect();
    } finally {
      await server.stop();
    }
  });
});
