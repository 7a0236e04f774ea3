import type pg from 'pg';
import { type TestSchema, createTestSchema } from './postgres';

/** The parts of @vectorizer/store a migrated test schema is made with (this library sits below the store). */
export interface SchemaStore {
  createPool(url: string, options: { schema?: string; max?: number }): pg.Pool;
  runMigrations(pool: pg.Pool, options: { model: { id: string; dimension: number } }): Promise<unknown>;
}

/** A schema of the test's own, migrated for `model`'s vectors, on a pool of `max` connections. */
export async function createMigratedSchema(
  store: SchemaStore,
  name: string,
  model: { id: string; dimension: number },
  max: number,
): Promise<TestSchema> {
  const db = await createTestSchema(name, { connect: (url, schema) => store.createPool(url, { schema, max }) });
  await store.runMigrations(db.pool, { model });
  return db;
}
