import { createHash } from 'node:crypto';
import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import { InvalidStoreInputError } from './errors';

/** How a model's vectors are indexed: float32 (`vector`) or half precision (`halfvec`, half the index). */
export type VectorStorage = 'vector' | 'halfvec';
export const VECTOR_STORAGES: readonly VectorStorage[] = ['vector', 'halfvec'];

/** pgvector's HNSW limits: 2000 dimensions for `vector`, 4000 for `halfvec`. */
export const MAX_INDEXED_DIMENSION: Record<VectorStorage, number> = { vector: 2000, halfvec: 4000 };

/** What the index and the kNN query of one model are made of. */
export interface IndexedModel {
  id: string;
  dim: number;
  storage: VectorStorage;
}

export function assertIndexable(model: { dim: number; storage: VectorStorage }): void {
  if (!VECTOR_STORAGES.includes(model.storage)) {
    throw new InvalidStoreInputError(
      `Vector storage must be one of ${VECTOR_STORAGES.join(', ')}, got ${model.storage}`,
    );
  }
  const max = MAX_INDEXED_DIMENSION[model.storage];
  if (!Number.isInteger(model.dim) || model.dim < 1 || model.dim > max) {
    throw new InvalidStoreInputError(
      `Embedding dimension must be a whole number from 1 to ${max} (the HNSW limit for ${model.storage}), got ${model.dim}`,
    );
  }
}

/**
 * The index of one model: a readable slug of its id plus a hash (ids differing only in punctuation
 * stay apart), within PostgreSQL's 63-byte identifier limit. Derived from the id alone, so a drop
 * interrupted after the model's rows went can still find and remove the index.
 */
export function modelIndexName(modelId: string): string {
  const slug = modelId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  const hash = createHash('sha256').update(modelId).digest('hex').slice(0, 8);
  return `pe_hnsw_${slug}_${hash}`;
}

/**
 * The indexed expression. The kNN query must repeat it, and the model predicate, exactly: the
 * planner only uses a partial expression index for a query with the same expression and a WHERE
 * that implies the index's predicate. `alias` qualifies the columns in a query.
 */
export function indexedVectorExpression(model: IndexedModel, alias?: string): string {
  return `(${alias ? `${alias}.` : ''}embedding_visual::${model.storage}(${model.dim}))`;
}

export function modelPredicate(model: Pick<IndexedModel, 'id'>, alias?: string): string {
  return `${alias ? `${alias}.` : ''}model = ${escapeLiteral(model.id)}`;
}

/**
 * Creates the model's partial HNSW index when missing; true when it did. Built in one statement
 * (not CONCURRENTLY): a newly registered model has no rows yet, so the build is instant; only the
 * upgrade of a database from schema version 2 rebuilds an index over existing vectors.
 */
export async function ensureModelIndex(db: Pool | PoolClient, model: IndexedModel): Promise<boolean> {
  assertIndexable(model);
  const name = modelIndexName(model.id);
  const { rows } = await db.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [name]);
  if (rows[0]?.exists) return false;
  await db.query(
    `CREATE INDEX IF NOT EXISTS ${name} ON product_embeddings
       USING hnsw (${indexedVectorExpression(model)} ${model.storage}_cosine_ops) WHERE ${modelPredicate(model)}`,
  );
  return true;
}

/** Whether the model's index exists in the current schema. */
export async function modelIndexExists(db: Pool | PoolClient, modelId: string): Promise<boolean> {
  const { rows } = await db.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    modelIndexName(modelId),
  ]);
  return rows[0]?.exists ?? false;
}
