import type { Pool, PoolClient } from 'pg';
import { InvalidStoreInputError, ModelNotRegisteredError, VectorDimensionMismatchError } from './errors';
import { chunk, inTransaction, valuesPlaceholders } from './sql';
import type { EmbeddingRow } from './types';
import { upToDateEmbedding } from './up-to-date-embedding';
import { asDimensionError, vectorBinaryParam } from './vector-param';

/** 7 parameters a row: 9000 rows stay below PostgreSQL's 65535-parameter limit. */
const UPSERT_CHUNK_ROWS = 9_000;

const FRESH_EMBEDDING = upToDateEmbedding('$1');

export class EmbeddingsRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Writes embeddings with one multi-row INSERT … ON CONFLICT (product_id, model) DO UPDATE
   * (calls of more than 9000 rows are split, in one transaction). Idempotent.
   *
   * A row is written only while its product still exists with the image URL the row embedded: a
   * slow job for a product's previous image must never overwrite the vector of its current one.
   * Those rows come back in `superseded`, untouched; everything else was written.
   */
  async upsertMany(rows: EmbeddingRow[]): Promise<UpsertResult> {
    if (rows.length === 0) return { written: 0, superseded: [] };
    const unique = new Map<string, { row: EmbeddingRow; vector: Buffer }>();
    rows.forEach((row, index) => {
      const vector = validateEmbeddingRow(row, index);
      unique.set(rowKey(row.productId, row.model, row.imageUrl), { row, vector });
    });
    const chunks = chunk([...unique.values()], UPSERT_CHUNK_ROWS);
    const write = async (db: Pool | PoolClient, part: { row: EmbeddingRow; vector: Buffer }[]): Promise<string[]> => {
      const params = part.flatMap(({ row, vector }) => [
        row.productId,
        row.model,
        row.embedding.length,
        vector,
        row.imageUrl,
        row.imageSha256,
        row.reused ?? false,
      ]);
      const casts = ['::text', '::text', '::int', '::vector', '::text', '::text', '::boolean'];
      // Joining on the current image_url makes "is this still the product's image?" and the write
      // one statement, so no concurrent image change can slip in between.
      const result = await db.query<{ product_id: string; model: string; image_url: string }>(
        `INSERT INTO product_embeddings AS e (product_id, model, dim, embedding_visual, image_url, image_sha256, reused)
         SELECT v.product_id, v.model, v.dim, v.embedding, v.image_url, v.image_sha256, v.reused
           FROM (VALUES ${valuesPlaceholders(part.length, 7, (column) => casts[column] as string)})
                AS v (product_id, model, dim, embedding, image_url, image_sha256, reused)
           JOIN products p ON p.id = v.product_id AND p.image_url = v.image_url
         ON CONFLICT (product_id, model) DO UPDATE
            SET dim = EXCLUDED.dim, embedding_visual = EXCLUDED.embedding_visual, image_url = EXCLUDED.image_url,
                image_sha256 = EXCLUDED.image_sha256, reused = EXCLUDED.reused, embedded_at = now()
         RETURNING e.product_id, e.model, e.image_url`,
        params,
      );
      return result.rows.map((row) => rowKey(row.product_id, row.model, row.image_url));
    };
    let writtenKeys: string[];
    try {
      if (chunks.length === 1)
        writtenKeys = await write(this.pool, chunks[0] as { row: EmbeddingRow; vector: Buffer }[]);
      else
        writtenKeys = await inTransaction(this.pool, async (client) => {
          const keys: string[] = [];
          for (const part of chunks) keys.push(...(await write(client, part)));
          return keys;
        });
    } catch (error) {
      throw await this.explainRejectedWrite(
        error,
        [...unique.values()].map(({ row }) => row),
      );
    }
    const written = new Set(writtenKeys);
    return {
      written: written.size,
      superseded: rows.filter((row) => !written.has(rowKey(row.productId, row.model, row.imageUrl))),
    };
  }

  /**
   * A write the foreign key to the model registry refused names the model that is not registered
   * (never registered, or dropped while a worker still embedded with it) or the dimension it is
   * registered with; other errors pass through asDimensionError.
   */
  private async explainRejectedWrite(error: unknown, rows: EmbeddingRow[]): Promise<unknown> {
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code !== '23503' || constraint !== 'product_embeddings_model_registered') return asDimensionError(error);
    const requested = new Map(rows.map((row) => [row.model, row.embedding.length]));
    const { rows: registered } = await this.pool.query<{ id: string; dim: number }>(
      'SELECT id, dim FROM models WHERE id = ANY($1::text[])',
      [[...requested.keys()]],
    );
    const dims = new Map(registered.map((model) => [model.id, model.dim]));
    for (const [model, length] of requested) {
      const dim = dims.get(model);
      if (dim === undefined) return new ModelNotRegisteredError(model);
      if (dim !== length) {
        return new VectorDimensionMismatchError(
          `Model ${model} is registered with ${dim} dimensions; a vector of ${length} cannot be stored under it`,
          error,
        );
      }
    }
    return error;
  }

  /**
   * Stored vectors of `model` for images with these sha256s, one per hash that has any (rows of
   * identical bytes hold identical vectors, so any one of them does). One index scan on
   * (model, image_sha256) for the whole list: the worker asks once per batch, before inference.
   */
  async vectorsByImageSha256(model: string, sha256s: readonly string[]): Promise<Map<string, Float32Array>> {
    const vectors = new Map<string, Float32Array>();
    if (sha256s.length === 0) return vectors;
    const { rows } = await this.pool.query<{ image_sha256: string; embedding: string }>(
      `SELECT DISTINCT ON (image_sha256) image_sha256, embedding_visual::text AS embedding
         FROM product_embeddings
        WHERE model = $1 AND image_sha256 = ANY($2::text[]) AND embedding_visual IS NOT NULL
        ORDER BY image_sha256`,
      [model, [...new Set(sha256s)]],
    );
    // pgvector prints each float4 in its shortest round-trip form, so the copy is bit-identical.
    for (const row of rows) vectors.set(row.image_sha256, Float32Array.from(JSON.parse(row.embedding) as number[]));
    return vectors;
  }

  /**
   * Every product id with an embedding for `model`, in pages of `pageSize`, by keyset pagination
   * on the primary key (product_id, model): constant memory and no OFFSET rescans on a large catalog.
   */
  async *embeddedProductIds(model: string, pageSize = 1_000): AsyncIterable<string[]> {
    let after = '';
    for (;;) {
      const { rows } = await this.pool.query<{ product_id: string }>(
        `SELECT product_id FROM product_embeddings
          WHERE product_id > $2 AND model = $1 AND embedding_visual IS NOT NULL
          ORDER BY product_id LIMIT $3`,
        [model, after, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map((row) => row.product_id);
      after = (rows[rows.length - 1] as { product_id: string }).product_id;
    }
  }

  /**
   * The stored row of one product for `model`, fresh or stale (its image_url says which), without
   * the vector; undefined when there is none or it holds no vector.
   */
  async rowOf(productId: string, model: string): Promise<StoredEmbedding | undefined> {
    const { rows } = await this.pool.query<{ image_url: string | null; embedded_at: Date; reused: boolean }>(
      `SELECT image_url, embedded_at, reused FROM product_embeddings
        WHERE product_id = $1 AND model = $2 AND embedding_visual IS NOT NULL`,
      [productId, model],
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : { imageUrl: row.image_url ?? '', embeddedAt: row.embedded_at, reused: row.reused };
  }

  /** Products with an up-to-date embedding for `model`. */
  async countEmbedded(model: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM product_embeddings e JOIN products p ON ${FRESH_EMBEDDING}`,
      [model],
    );
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Products with an up-to-date embedding for `model` whose vector was copied from an identical
   * image's rather than inferred (`reused`): the inference runs reuse saved, as the rows stand now.
   */
  async countReused(model: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM product_embeddings e JOIN products p ON ${FRESH_EMBEDDING} WHERE e.reused`,
      [model],
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** Products whose embedding for `model` is missing or stale (image_url changed since). */
  async countMissing(model: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_embeddings e WHERE ${FRESH_EMBEDDING})`,
      [model],
    );
    return Number(rows[0]?.count ?? 0);
  }
}

/** One product's embedding row for a model, as `explain` reads it. */
export interface StoredEmbedding {
  /** The image the vector was embedded from; stale when the product's image_url differs. */
  imageUrl: string;
  embeddedAt: Date;
  /** Copied from identical image bytes rather than inferred. */
  reused: boolean;
}

export interface UpsertResult {
  /** Rows written (inserted or updated). */
  written: number;
  /** Rows not written: their product was deleted, or its image_url changed since the job was made. */
  superseded: EmbeddingRow[];
}

const rowKey = (productId: string, model: string, imageUrl: string): string =>
  JSON.stringify([productId, model, imageUrl]);

function validateEmbeddingRow(row: EmbeddingRow, index: number): Buffer {
  const where = `rows[${index}]`;
  if (typeof row.productId !== 'string' || row.productId === '')
    throw new InvalidStoreInputError(`${where}.productId must be a non-empty string`);
  if (typeof row.model !== 'string' || row.model === '')
    throw new InvalidStoreInputError(`${where}.model must be a non-empty string`);
  if (typeof row.imageUrl !== 'string' || row.imageUrl === '')
    throw new InvalidStoreInputError(`${where}.imageUrl must be a non-empty string`);
  if (typeof row.imageSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(row.imageSha256)) {
    throw new InvalidStoreInputError(`${where}.imageSha256 must be 64 lower-case hex characters`);
  }
  if (row.reused !== undefined && typeof row.reused !== 'boolean')
    throw new InvalidStoreInputError(`${where}.reused must be a boolean when given`);
  return vectorBinaryParam(row.embedding, `${where}.embedding`);
}
