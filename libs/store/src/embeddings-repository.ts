import type { Pool, PoolClient } from 'pg';
import { readBoundDimension } from './embedding-dimension';
import {
  InvalidStoreInputError,
  ProductNotEmbeddedError,
  ProductNotFoundError,
  VectorDimensionMismatchError,
} from './errors';
import { attributeFilterParam, type AttributeFilter } from './attribute-filter';
import { NEAREST_NEIGHBOURS_SQL } from './knn-query';
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
      throw asDimensionError(error);
    }
    const written = new Set(writtenKeys);
    return {
      written: written.size,
      superseded: rows.filter((row) => !written.has(rowKey(row.productId, row.model, row.imageUrl))),
    };
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
    return this.nearest(embedding, model, productId, k, efSearch, filter, await this.searchSettings());
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
    return this.nearest(param, model, null, k, efSearch, filter, await this.searchSettings(vector.length));
  }

  /**
   * Runs the kNN query in a transaction so SET LOCAL scopes hnsw.ef_search (the candidate list
   * size: recall vs speed) to this query. ef_search is raised to k+1 when smaller, because HNSW
   * never returns more than ef_search rows. On pgvector >= 0.8, iterative scans keep looking when
   * filters (model, the excluded product, the attributes) discard candidates, so k hits come back
   * when they exist among the first hnsw.max_scan_tuples (20 000 by default) index entries visited:
   * about 20 000 × selectivity matches, e.g. 1 000 for a filter that keeps 5% of the catalog.
   */
  private async nearest(
    vector: string,
    model: string,
    excludeId: string | null,
    k: number,
    efSearch: number,
    filter: AttributeFilter | undefined,
    { iterativeScan }: SearchSettings,
  ): Promise<SearchHit[]> {
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
        }>(NEAREST_NEIGHBOURS_SQL, [vector, model, excludeId, k, attributeFilterParam(filter)]);
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

  /**
   * What the kNN query needs to know about the database, read once: whether pgvector has iterative
   * index scans (0.8+), and the bound dimension, so a query vector of another length is refused
   * even when no row would be compared with it. Re-read on a mismatch, in case of a rebind.
   */
  private async searchSettings(vectorLength?: number): Promise<SearchSettings> {
    let settings = await (this.settings ??= this.readSearchSettings());
    if (vectorLength !== undefined && settings.dimension !== vectorLength) {
      this.settings = this.readSearchSettings();
      settings = await this.settings;
      if (settings.dimension !== vectorLength) {
        throw new VectorDimensionMismatchError(
          `The search vector has ${vectorLength} dimensions but product_embeddings.embedding_visual holds ${settings.dimension ?? 'no bound number of'}`,
        );
      }
    }
    return settings;
  }

  private readSearchSettings(): Promise<SearchSettings> {
    const reading = Promise.all([
      this.pool.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'"),
      readBoundDimension(this.pool),
    ]).then(([{ rows }, dimension]) => {
      const [major = 0, minor = 0] = (rows[0]?.extversion ?? '0.0').split('.').map(Number);
      return { iterativeScan: major > 0 || minor >= 8, dimension };
    });
    // Ask again next time instead of caching a failure.
    reading.catch(() => {
      if (this.settings === reading) this.settings = undefined;
    });
    return reading;
  }
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
  dimension: number | null;
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
