import type pg from 'pg';
import {
  ModelsRepository,
  modelRegistration,
  runMigrations,
  type DropResult,
  type MigrateResult,
  type ModelCoverage,
} from '@vectorizer/store';
import type { Runtime } from './runtime';

/**
 * Runs `work` on a one-connection pool without the statement timeout: migrations and dropping a
 * model build and remove HNSW indexes, which take as long as the catalog is large.
 */
async function withSchemaPool<T>(runtime: Runtime, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = runtime.pool({ max: 1, statementTimeoutMs: 0 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/**
 * Creates or updates the schema and registers the configured model beside the others. The model
 * comes from runtime.model(), so the dev-model rule holds here too: registering the dev model in
 * production would make it the active model, which a real model configured later would not replace.
 */
export async function migrateAndRegisterModel(runtime: Runtime): Promise<MigrateResult> {
  const model = await runtime.model();
  return withSchemaPool(runtime, (pool) =>
    runMigrations(pool, { model: modelRegistration(model, runtime.config), logger: runtime.logger }),
  );
}

/**
 * The registry of embedding models the database holds (beside the model files on this machine):
 * each with its coverage of the catalog, which one answers searches, retiring one.
 */
export const registeredModels = {
  list: (runtime: Runtime): Promise<ModelCoverage[]> =>
    withSchemaPool(runtime, (pool) => new ModelsRepository(pool).list()),

  /** Refused below 100% coverage unless `force`. */
  activate: (runtime: Runtime, id: string, options: { force: boolean }) =>
    withSchemaPool(runtime, (pool) => new ModelsRepository(pool).activate(id, options)),

  /** Deletes the model's vectors and its index (the active one only with `force`). */
  drop: (runtime: Runtime, id: string, options: { force: boolean }): Promise<DropResult> =>
    withSchemaPool(runtime, (pool) => new ModelsRepository(pool).drop(id, options)),
};
