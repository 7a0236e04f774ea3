import type { Logger } from '@vectorizer/logger';
import type { PoolClient, Pool } from 'pg';
import { EmbeddingDimensionMismatchError, InvalidStoreInputError } from './errors';

export const HNSW_INDEX_NAME = 'product_embeddings_embedding_visual_hnsw';

/** pgvector's HNSW index accepts `vector` columns of at most 2000 dimensions. */
export const MAX_INDEXED_DIMENSION = 2000;

export interface DimensionBinding {
  dimension: number;
  /** The dimension the column had before, when this call changed it (null: it had none). */
  previousDimension: number | null;
  changed: boolean;
  /** Embeddings deleted because they had another dimension (only with reembed). */
  droppedEmbeddings: number;
}

export function assertValidDimension(dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_INDEXED_DIMENSION) {
    throw new InvalidStoreInputError(
      `Embedding dimension must be a whole number from 1 to ${MAX_INDEXED_DIMENSION} (the HNSW index limit), got ${dimension}`,
    );
  }
}

/** The typmod of embedding_visual: its dimension, or null while the column is still plain `vector`. */
export async function readBoundDimension(db: Pool | PoolClient): Promise<number | null> {
  const result = await db.query<{ atttypmod: number }>(
    `SELECT a.atttypmod FROM pg_attribute a
      WHERE a.attrelid = to_regclass('product_embeddings') AND a.attname = 'embedding_visual' AND NOT a.attisdropped`,
  );
  const typmod = result.rows[0]?.atttypmod;
  return typmod === undefined || typmod < 1 ? null : typmod;
}

/**
 * Binds embedding_visual to vector(dimension) and makes sure the HNSW index exists. Must run
 * under the migration lock. A column bound to another dimension is an error unless `reembed`,
 * which deletes the embeddings of the other dimension first: one column never mixes dimensions.
 */
export async function bindEmbeddingDimension(
  client: PoolClient,
  dimension: number,
  opts: { reembed: boolean; logger?: Logger },
): Promise<DimensionBinding> {
  assertValidDimension(dimension);
  await client.query('BEGIN');
  try {
    const bound = await readBoundDimension(client);
    const binding: DimensionBinding = {
      dimension,
      previousDimension: bound,
      changed: bound !== dimension,
      droppedEmbeddings: 0,
    };
    if (bound !== dimension) {
      // An unbound column may still hold rows (written before binding existed): their dim decides.
      const conflicting =
        bound ??
        (await client.query<{ dim: number }>('SELECT dim FROM product_embeddings WHERE dim <> $1 LIMIT 1', [dimension]))
          .rows[0]?.dim;
      if (conflicting !== undefined && !opts.reembed) throw new EmbeddingDimensionMismatchError(conflicting, dimension);
      if (opts.reembed) {
        await client.query(`DROP INDEX IF EXISTS ${HNSW_INDEX_NAME}`);
        const deleted = await client.query('DELETE FROM product_embeddings WHERE dim <> $1', [dimension]);
        binding.droppedEmbeddings = deleted.rowCount ?? 0;
      }
      // The dimension is validated above; ALTER TYPE cannot take it as a parameter.
      await client.query(`ALTER TABLE product_embeddings ALTER COLUMN embedding_visual TYPE vector(${dimension})`);
      opts.logger?.info(
        { previousDimension: bound, dimension, droppedEmbeddings: binding.droppedEmbeddings },
        'bound product_embeddings.embedding_visual to its dimension',
      );
    }
    await client.query(
      `CREATE INDEX IF NOT EXISTS ${HNSW_INDEX_NAME} ON product_embeddings USING hnsw (embedding_visual vector_cosine_ops)`,
    );
    await client.query('COMMIT');
    return binding;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
