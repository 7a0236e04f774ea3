import type { Pool, PoolClient } from 'pg';
import {
  InvalidStoreInputError,
  ModelNotRegisteredError,
  ProductNotEmbeddedError,
  ProductNotFoundError,
  VectorDimensionMismatchError,
} from './errors';
import { attributeFilterParam, type AttributeFilter } from './attribute-filter';
import { nearestNeighboursSql } from './knn-query';
import type { IndexedModel, VectorStorage } from './model-index';
import { chunk, inTransaction, valuesPlaceholders } from './sql';
import type { EmbeddingRow, SearchHit } from './types';
import { asDimensionError, vectorBinaryParam, vectorParam } from './vector-param';

/** 7 parameters a row: 9000 rows stay below PostgreSQL's 65535-parameter limit. */
const UPSERT_CHUNK_ROWS = 9_000;
/** pgvector's bounds for hnsw.ef_search; it returns at most ef_search rows. */
const MAX_EF_SEARCH = 1000;
const MAX_K = MAX_EF_SEARCH - 1;

/**
 * "Up to date" for a model: a vector embedded from the product's current image_url. Missing or
 * stale is the complement, so countEmbedded + countMissing = number of products.
 */
const FRESH_EMBEDDING = `e.product_id = p.id AND e.model = $1 AND e.image_url = p.image_url AND e.embedding_visual IS NOT NULL`;

export class EmbeddingsRepository {
  private settings?: Promise<SearchSettings>;

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

  /**
   * The k products most similar to `productId` by its own `model` embedding, itself excluded, among
   * those matching `filter` (when given).
   * Throws ProductNotFoundError (PRODUCT_NOT_FOUND → 404) when the product does not exist and
   * ProductNotEmbeddedError (PRODUCT_NOT_EMBEDDED → 409) when it has no embedding for the model.
   */
  async similarToProduct(
    productId: string,
    model: string,
    k: number,
    efSearch: number,
    filter?: AttributeFilter,
  ): Promise<SearchHit[]> {
    validateSearch(k, efSearch);
    const { rows } = await this.pool.query<{ embedding: string | null }>(
      `SELECT e.embedding_visual::text AS embedding
         FROM products p LEFT JOIN product_embeddings e ON e.product_id = p.id AND e.model = $2
        WHERE p.id = $1`,
      [productId, model],
    );
    if (rows.length === 0) throw new ProductNotFoundError(productId);
    const embedding = rows[0]?.embedding;
    if (embedding == null) throw new ProductNotEmbeddedError(productId, model);
    return this.nearest(embedding, await this.indexedModel(model), productId, k, efSearch, filter);
  }

  /** The k products whose `model` embedding is closest (cosine) to `vector`, among those matching `filter`. */
  async searchByVector(
    vector: Float32Array,
    model: string,
    k: number,
    efSearch: number,
    filter?: AttributeFilter,
  ): Promise<SearchHit[]> {
    validateSearch(k, efSearch);
    const param = vectorParam(vector, 'search vector');
    const indexed = await this.indexedModel(model);
    if (indexed.dim !== vector.length) {
      throw new VectorDimensionMismatchError(
        `The search vector has ${vector.length} dimensions but model ${model} is registered with ${indexed.dim}`,
      );
    }
    return this.nearest(param, indexed, null, k, efSearch, filter);
  }

  /** The registry row the kNN query is built from; ModelNotRegisteredError for an unknown model. */
  private async indexedModel(model: string): Promise<IndexedModel> {
    const { rows } = await this.pool.query<{ dim: number; storage: VectorStorage }>(
      'SELECT dim, storage FROM models WHERE id = $1',
      [model],
    );
    const row = rows[0];
    if (!row) throw new ModelNotRegisteredError(model);
    return { id: model, dim: row.dim, storage: row.storage };
  }

  /**
   * Runs the kNN query in a transaction so SET LOCAL scopes hnsw.ef_search (the candidate list
   * size: recall vs speed) to this query. ef_search is raised to k+1 when smaller, because HNSW
   * never returns more than ef_search rows. On pgvector >= 0.8, iterative scans keep looking when
   * filters (the excluded product, the attributes) discard candidates, so k hits come back
   * when they exist among the first hnsw.max_scan_tuples (20 000 by default) index entries visited:
   * about 20 000 × selectivity matches, e.g. 1 000 for a filter that keeps 5% of the catalog.
   */
  private async nearest(
    vector: string,
    model: IndexedModel,
    excludeId: string | null,
    k: number,
    efSearch: number,
    filter: AttributeFilter | undefined,
  ): Promise<SearchHit[]> {
    const { iterativeScan } = await this.searchSettings();
    try {
      return await inTransaction(this.pool, async (client) => {
        await client.query("SELECT set_config('hnsw.ef_search', $1, true)", [
          String(Math.min(MAX_EF_SEARCH, Math.max(efSearch, k + 1))),
        ]);
        if (iterativeScan) await client.query("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)");
        const { rows } = await client.query<{
          product_id: string;
          title: string | null;
          image_url: string;
          score: number;
        }>(nearestNeighboursSql(model), [vector, excludeId, k, attributeFilterParam(filter)]);
        return rows.map((row) => ({
          productId: row.product_id,
          title: row.title,
          imageUrl: row.image_url,
          score: row.score,
        }));
      });
    } catch (error) {
      throw asDimensionError(error);
    }
  }

  /** Whether pgvector has iterative index scans (0.8+), read once. */
  private searchSettings(): Promise<SearchSettings> {
    if (!this.settings) {
      const reading = this.pool
        .query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        .then(({ rows }) => {
          const [major = 0, minor = 0] = (rows[0]?.extversion ?? '0.0').split('.').map(Number);
          return { iterativeScan: major > 0 || minor >= 8 };
        });
      // Ask again next time instead of caching a failure.
      reading.catch(() => {
        if (this.settings === reading) this.settings = undefined;
      });
      this.settings = reading;
    }
    return this.settings;
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

interface SearchSettings {
  iterativeScan: boolean;
}

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

function validateSearch(k: number, efSearch: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K)
    throw new InvalidStoreInputError(`k must be a whole number from 1 to ${MAX_K}, got ${k}`);
  if (!Number.isInteger(efSearch) || efSearch < 1 || efSearch > MAX_EF_SEARCH) {
    throw new InvalidStoreInputError(`efSearch must be a whole number from 1 to ${MAX_EF_SEARCH}, got ${efSearch}`);
  }
}
