import type { Logger } from '@vectorizer/logger';
import type { Pool, PoolClient } from 'pg';
import {
  ActiveModelDropRefusedError,
  ActiveModelNotLoadedError,
  InvalidStoreInputError,
  ModelCoverageIncompleteError,
  ModelNotRegisteredError,
  ModelRegistrationConflictError,
  NoActiveModelError,
} from './errors';
import {
  assertIndexable,
  ensureModelIndex,
  type IndexedModel,
  modelIndexExists,
  modelIndexName,
  type VectorStorage,
} from './model-index';
import { inTransaction } from './sql';
import { upToDateEmbedding } from './up-to-date-embedding';

/** A row of the registry: one embedding model whose vectors the database holds (or will). */
export interface RegisteredModel extends IndexedModel {
  /** fp32 | fp16 | q8: the weights the vectors were computed with. */
  dtype: string;
  createdAt: Date;
  /** The model every search uses. At most one is active. */
  active: boolean;
}

/** `models list`: a model and how much of the catalog it has embedded. */
export interface ModelCoverage extends RegisteredModel {
  /** Products with an up-to-date vector (embedded from their current image URL). */
  embedded: number;
  /** Products in the catalog. */
  total: number;
}

/** The configured model as `migrate` (and every worker or API start) registers it. */
export interface ModelRegistration {
  id: string;
  dimension: number;
  dtype?: string;
  /** Only for a new registration; a registered model keeps the storage it was registered with. */
  storage?: VectorStorage;
}

export interface RegistrationResult {
  model: RegisteredModel;
  /** The model was not registered before this call. */
  created: boolean;
  /** A registered model's storage stays; this says the requested one was ignored. */
  storageIgnored?: VectorStorage;
}

export interface DropResult {
  modelId: string;
  droppedEmbeddings: number;
  wasActive: boolean;
}

interface ModelRow {
  id: string;
  dim: number;
  dtype: string;
  storage: VectorStorage;
  created_at: Date;
  active: boolean;
}

const MODEL_COLUMNS = 'id, dim, dtype, storage, created_at, active';

const toModel = (row: ModelRow): RegisteredModel => ({
  id: row.id,
  dim: row.dim,
  dtype: row.dtype,
  storage: row.storage,
  createdAt: row.created_at,
  active: row.active,
});

const COVERAGE_SQL = `
SELECT m.id, m.dim, m.dtype, m.storage, m.created_at, m.active,
       (SELECT count(*) FROM product_embeddings e JOIN products p ON ${upToDateEmbedding('m.id')}) AS embedded,
       (SELECT count(*) FROM products) AS total
  FROM models m`;

/**
 * Registers the model when new (the first model registered becomes active) and makes sure its
 * HNSW index exists. Runs under the migration lock (runMigrations): the read-then-insert and the
 * index build never race another registration.
 */
export async function registerModel(
  client: PoolClient,
  registration: ModelRegistration,
  logger?: Logger,
): Promise<RegistrationResult> {
  if (typeof registration.id !== 'string' || registration.id.trim() === '')
    throw new InvalidStoreInputError('The model id must be a non-empty string');
  const storage = registration.storage ?? 'vector';
  assertIndexable({ dim: registration.dimension, storage });
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models WHERE id = $1 FOR UPDATE`, [
      registration.id,
    ]);
    let row = rows[0];
    const created = row === undefined;
    if (row === undefined) {
      const inserted = await client.query<ModelRow>(
        `INSERT INTO models (id, dim, dtype, storage, active)
         VALUES ($1, $2, $3, $4, NOT EXISTS (SELECT 1 FROM models WHERE active))
         RETURNING ${MODEL_COLUMNS}`,
        [registration.id, registration.dimension, registration.dtype ?? 'fp32', storage],
      );
      row = inserted.rows[0] as ModelRow;
    } else if (row.dim !== registration.dimension) {
      throw new ModelRegistrationConflictError(registration.id, row.dim, registration.dimension);
    }
    const model = toModel(row);
    const indexBuilt = await ensureModelIndex(client, model);
    await client.query('COMMIT');
    if (created || indexBuilt) {
      logger?.info(
        {
          model: model.id,
          dim: model.dim,
          storage: model.storage,
          active: model.active,
          index: modelIndexName(model.id),
        },
        created
          ? 'registered the embedding model and built its HNSW index'
          : 'rebuilt the missing HNSW index of the model',
      );
    }
    const result: RegistrationResult = { model, created };
    if (registration.storage !== undefined && registration.storage !== model.storage) {
      result.storageIgnored = registration.storage;
      logger?.warn(
        { model: model.id, registered: model.storage, requested: registration.storage },
        `model ${model.id} keeps the storage it was registered with (${model.storage}); EMBEDDING_STORAGE applies to new models`,
      );
    }
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Makes sure every registered model has its index (a database migrated from version 2, a dropped index). */
export async function ensureEveryModelIndex(client: PoolClient, logger?: Logger): Promise<string[]> {
  const { rows } = await client.query<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models ORDER BY created_at, id`);
  const built: string[] = [];
  for (const row of rows) {
    if (await ensureModelIndex(client, toModel(row))) {
      built.push(row.id);
      logger?.info({ model: row.id, index: modelIndexName(row.id) }, 'built the HNSW index of the model');
    }
  }
  return built;
}

/** The registry of embedding models: which exist, which one answers searches, retiring one. */
export class ModelsRepository {
  constructor(private readonly pool: Pool) {}

  async get(id: string): Promise<RegisteredModel | null> {
    const { rows } = await this.pool.query<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models WHERE id = $1`, [id]);
    return rows[0] ? toModel(rows[0]) : null;
  }

  async require(id: string): Promise<RegisteredModel> {
    const model = await this.get(id);
    if (!model) throw new ModelNotRegisteredError(id);
    return model;
  }

  async active(): Promise<RegisteredModel | null> {
    const { rows } = await this.pool.query<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM models WHERE active`);
    return rows[0] ? toModel(rows[0]) : null;
  }

  /** The model searches use; NoActiveModelError when none is. */
  async requireActive(): Promise<RegisteredModel> {
    const model = await this.active();
    if (!model) throw new NoActiveModelError();
    return model;
  }

  /**
   * The active model, for a query embedded by `loadedModelId`: a query vector must come from the
   * model whose vectors it is compared with, so another loaded model is ActiveModelNotLoadedError.
   */
  async requireActiveLoaded(loadedModelId: string): Promise<RegisteredModel> {
    const model = await this.requireActive();
    if (model.id !== loadedModelId) throw new ActiveModelNotLoadedError(loadedModelId, model.id);
    return model;
  }

  /** Every registered model with its coverage, oldest first. */
  async list(): Promise<ModelCoverage[]> {
    const { rows } = await this.pool.query<ModelRow & { embedded: string; total: string }>(
      `${COVERAGE_SQL} ORDER BY m.created_at, m.id`,
    );
    return rows.map((row) => ({ ...toModel(row), embedded: Number(row.embedded), total: Number(row.total) }));
  }

  async coverage(id: string): Promise<ModelCoverage> {
    const { rows } = await this.pool.query<ModelRow & { embedded: string; total: string }>(
      `${COVERAGE_SQL} WHERE m.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) throw new ModelNotRegisteredError(id);
    return { ...toModel(row), embedded: Number(row.embedded), total: Number(row.total) };
  }

  /**
   * Makes `id` the model every search uses, in one transaction (searches see the old or the new
   * model, never none). Refuses below 100% coverage unless `force`: the products it has not
   * embedded would silently vanish from results. Returns the model and the one it replaced.
   */
  async activate(
    id: string,
    opts: { force?: boolean } = {},
  ): Promise<{ model: ModelCoverage; previous: string | null }> {
    const model = await this.coverage(id);
    if (!opts.force && model.embedded < model.total)
      throw new ModelCoverageIncompleteError(id, model.embedded, model.total);
    const previous = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        'UPDATE models SET active = false WHERE active AND id <> $1 RETURNING id',
        [id],
      );
      const updated = await client.query('UPDATE models SET active = true WHERE id = $1', [id]);
      if (updated.rowCount === 0) throw new ModelNotRegisteredError(id);
      return rows[0]?.id ?? null;
    });
    return { model: { ...model, active: true }, previous };
  }

  /**
   * Retires a model: deletes its vectors and the registry row (one statement, through the foreign
   * key's ON DELETE CASCADE), then its index. The active model only with `force` (searches then
   * answer NO_ACTIVE_MODEL until another model is activated). The index goes CONCURRENTLY, after
   * the rows: searches of other models never wait on the drop. A drop interrupted between the two
   * steps is finished by running it again.
   */
  async drop(id: string, opts: { force?: boolean } = {}): Promise<DropResult> {
    const model = await this.get(id);
    if (model?.active && !opts.force) throw new ActiveModelDropRefusedError(id);
    let droppedEmbeddings = 0;
    if (model) {
      droppedEmbeddings = await inTransaction(this.pool, async (client) => {
        const { rows } = await client.query<{ count: string }>(
          'SELECT count(*) AS count FROM product_embeddings WHERE model = $1',
          [id],
        );
        await client.query('DELETE FROM models WHERE id = $1', [id]);
        return Number(rows[0]?.count ?? 0);
      });
    } else if (!(await modelIndexExists(this.pool, id))) {
      throw new ModelNotRegisteredError(id);
    }
    await this.pool.query(`DROP INDEX CONCURRENTLY IF EXISTS ${modelIndexName(id)}`);
    return { modelId: id, droppedEmbeddings, wasActive: model?.active ?? false };
  }
}

/** The registration of a resolved model (id, dimension, dtype) with the configured EMBEDDING_STORAGE. */
export function modelRegistration(
  model: { id: string; dimension: number; dtype?: string },
  config: { EMBEDDING_STORAGE?: VectorStorage },
): ModelRegistration {
  return {
    id: model.id,
    dimension: model.dimension,
    ...(model.dtype === undefined ? {} : { dtype: model.dtype }),
    ...(config.EMBEDDING_STORAGE === undefined ? {} : { storage: config.EMBEDDING_STORAGE }),
  };
}
