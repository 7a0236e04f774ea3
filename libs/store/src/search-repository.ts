import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { attributeFilterParam, type AttributeFilter } from './attribute-filter';
import {
  InvalidStoreInputError,
  ModelNotRegisteredError,
  ProductNotEmbeddedError,
  ProductNotFoundError,
  VectorDimensionMismatchError,
} from './errors';
import { type IndexedModel, type VectorStorage, indexedVectorExpression, modelPredicate } from './model-index';
import type { SearchHit } from './types';
import { asDimensionError, requireFiniteVector, vectorBinaryParam } from './vector-param';

/** pgvector's bounds for hnsw.ef_search; it returns at most ef_search rows per scan round. */
const MAX_EF_SEARCH = 1000;
export const MAX_K = MAX_EF_SEARCH - 1;

/** What a search starts from: a vector, or a stored product's own vector (the product excluded from the hits). */
export type KnnQuery = { vector: Float32Array } | { productId: string };

export interface HnswOptions {
  k: number;
  /** hnsw.ef_search: the candidate list of one scan round (recall vs speed). */
  efSearch: number;
  filter?: AttributeFilter;
  /**
   * Candidates taken from the index before the exact re-rank (≥ k). With a filter the scan runs in
   * relaxed order (pgvector's iterative scan), so it fetches more than k and the float32 distances
   * put them in order; halfvec models gain the precision of the stored float32 vectors the same way.
   */
  fetch?: number;
}

export interface ExactOptions {
  k: number;
  filter?: AttributeFilter;
}

/** One connection's settings, as last sent on it (session level, so a search costs one round trip). */
const sessionSettings = new WeakMap<PoolClient, { hnsw?: string }>();

/**
 * Every search connection's fixed settings. No parallel workers: a 2-worker plan for a query of a
 * few ms costs more than it saves and takes cores other searches need. No sequential scans: every
 * search reaches its rows through an index (HNSW, GIN, primary keys); a misestimated filter must
 * not turn into a scan of the whole vector table.
 */
const BASE_SETTINGS = 'SET max_parallel_workers_per_gather = 0; SET enable_seqscan = off';

/**
 * The kNN queries of one database, shaped for the two strategies a planner picks between
 * (libs/search): the HNSW scan of the model's partial index with an exact re-rank, and an exact
 * scan of the products a selective attribute filter keeps (GIN jsonb_path_ops index, recall 1.0).
 *
 * Cheap over the database on purpose: the registry row of a model is read once per process (an id
 * keeps its dimension and storage until it is dropped; a dimension error evicts it), the query
 * vector travels in pgvector's binary form, each statement is prepared once per connection, and the
 * settings are sent only when a connection's differ from the ones a query needs. They are
 * session-level (BASE_SETTINGS turns sequential scans off), so give it a pool of its own.
 */
export class SearchRepository {
  private readonly models = new Map<string, Promise<IndexedModel>>();

  constructor(private readonly pool: Pool) {}

  /** The k nearest through the model's HNSW index, re-ranked by the exact float32 distance. */
  async nearestHnsw(query: KnnQuery, model: string, options: HnswOptions): Promise<SearchHit[]> {
    validateK(options.k);
    if (!Number.isInteger(options.efSearch) || options.efSearch < 1 || options.efSearch > MAX_EF_SEARCH) {
      throw new InvalidStoreInputError(
        `efSearch must be a whole number from 1 to ${MAX_EF_SEARCH}, got ${options.efSearch}`,
      );
    }
    const fetch = Math.min(MAX_EF_SEARCH, Math.max(options.k, options.fetch ?? options.k));
    // HNSW returns at most ef_search rows per round; iterative scans continue past filtered-out ones.
    const efSearch = Math.min(MAX_EF_SEARCH, Math.max(options.efSearch, fetch + 1));
    const filtered = options.filter !== undefined;
    const settings = `SET hnsw.ef_search = ${efSearch}; SET hnsw.iterative_scan = ${filtered ? 'relaxed_order' : 'strict_order'}`;
    return this.run(
      query,
      model,
      (indexed, shape) => hnswSql(indexed, shape, options.k, fetch),
      options.filter,
      settings,
    );
  }

  /** The k nearest among the products matching `filter`, every one scored: recall 1.0. */
  async nearestExact(query: KnnQuery, model: string, options: ExactOptions): Promise<SearchHit[]> {
    validateK(options.k);
    // No hnsw settings: whatever the connection holds does not touch an exact scan.
    return this.run(query, model, (indexed, shape) => exactSql(indexed, shape, options.k), options.filter);
  }

  /**
   * How many products match `filter`, counted up to `atMost` (the GIN index finds them; counting
   * stops there, so a broad filter costs no more than a selective one).
   */
  async countMatching(filter: AttributeFilter, atMost: number): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>({
      name: 'search_count_matching',
      text: 'SELECT count(*)::int AS count FROM (SELECT 1 FROM products WHERE attributes @> $1::jsonb LIMIT $2) m',
      values: [attributeFilterParam(filter), atMost],
    });
    return rows[0]?.count ?? 0;
  }

  private async run(
    query: KnnQuery,
    model: string,
    sqlFor: (indexed: IndexedModel, shape: QueryShape) => string,
    filter: AttributeFilter | undefined,
    hnswSettings?: string,
  ): Promise<SearchHit[]> {
    const indexed = await this.indexedModel(model);
    const byProduct = !('vector' in query);
    const first = 'vector' in query ? queryVectorParam(query.vector, indexed, model) : query.productId;
    const filterParam = attributeFilterParam(filter);
    const text = sqlFor(indexed, { byProduct, filtered: filterParam !== null });
    const client = await this.pool.connect();
    let broken = false;
    try {
      const current = sessionSettings.get(client);
      const needed = [
        ...(current === undefined ? [BASE_SETTINGS] : []),
        ...(hnswSettings !== undefined && current?.hnsw !== hnswSettings ? [hnswSettings] : []),
      ];
      if (needed.length > 0) {
        // Forgotten first: a SET that fails half-way leaves the connection's settings unknown.
        sessionSettings.delete(client);
        await client.query(needed.join('; '));
        sessionSettings.set(client, { hnsw: hnswSettings ?? current?.hnsw });
      }
      const { rows } = await client.query<HitRow>({
        name: `knn_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`,
        text,
        values: filterParam === null ? [first] : [first, filterParam],
      });
      if (rows.length === 0 && byProduct) await this.explainNoHits(client, first as string, indexed.id);
      return rows.map(toHit);
    } catch (error) {
      const explained = asDimensionError(error);
      // A model dropped and registered again with another dimension: read its row again next time.
      if (explained instanceof VectorDimensionMismatchError) this.models.delete(model);
      // Not an answer from the server (a dropped connection, a client-side timeout): do not reuse it.
      broken = typeof (error as { code?: unknown }).code !== 'string';
      throw explained;
    } finally {
      client.release(broken);
    }
  }

  /** No hits for a product's neighbours: it may not exist or have no vector (both are errors, not "none"). */
  private async explainNoHits(client: PoolClient, productId: string, model: string): Promise<void> {
    const { rows } = await client.query<{ embedded: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM product_embeddings e
                       WHERE e.product_id = p.id AND e.model = $2 AND e.embedding_visual IS NOT NULL) AS embedded
         FROM products p WHERE p.id = $1`,
      [productId, model],
    );
    if (rows.length === 0) throw new ProductNotFoundError(productId);
    if (!rows[0]?.embedded) throw new ProductNotEmbeddedError(productId, model);
  }

  /** The registry row the queries are built from, read once; ModelNotRegisteredError for an unknown model. */
  private indexedModel(model: string): Promise<IndexedModel> {
    let reading = this.models.get(model);
    if (!reading) {
      reading = this.pool
        .query<{ dim: number; storage: VectorStorage }>('SELECT dim, storage FROM models WHERE id = $1', [model])
        .then(({ rows }) => {
          const row = rows[0];
          if (!row) throw new ModelNotRegisteredError(model);
          return { id: model, dim: row.dim, storage: row.storage };
        });
      // Unknown models and failed reads are asked again next time.
      reading.catch(() => this.models.delete(model));
      this.models.set(model, reading);
    }
    return reading;
  }
}

interface HitRow {
  product_id: string;
  title: string | null;
  image_url: string;
  score: number;
}

const toHit = (row: HitRow): SearchHit => ({
  productId: row.product_id,
  title: row.title,
  imageUrl: row.image_url,
  score: row.score,
});

function validateK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K)
    throw new InvalidStoreInputError(`k must be a whole number from 1 to ${MAX_K}, got ${k}`);
}

function queryVectorParam(vector: Float32Array, model: IndexedModel, id: string): Buffer {
  if (vector.length !== model.dim) {
    throw new VectorDimensionMismatchError(
      `The search vector has ${vector.length} dimensions but model ${id} is registered with ${model.dim}`,
    );
  }
  requireFiniteVector(vector, 'search vector');
  return vectorBinaryParam(vector, 'search vector');
}

/** How the query vector is given: a binary parameter, or a stored product's row (the product then left out). */
export type QueryShape = { byProduct: boolean; filtered: boolean };

/** $1: the query vector (binary) or the product id; $2: the attribute filter (jsonb), when there is one. */
function queryVector(model: IndexedModel, shape: QueryShape): string {
  return shape.byProduct
    ? `(SELECT q.embedding_visual FROM product_embeddings q WHERE q.product_id = $1::text AND ${modelPredicate(model, 'q')})`
    : '$1::vector';
}

/**
 * HNSW: ORDER BY the index's own expression under the index's own predicate (the model id as a
 * literal, so the planner can prove the partial index applies), the filter and the excluded
 * product applied to its candidates, `fetch` of them (iterative scans keep going while the filter
 * discards some), then ordered by the exact float32 distance. The filter is written as the function
 * jsonb_contains, which the GIN index cannot serve: a broad filter goes through the graph, never
 * through a sort of every matching row. k and fetch are literals: a generic plan with a LIMIT
 * parameter guesses its size and may sort the whole table.
 */
export function hnswSql(model: IndexedModel, shape: QueryShape, k: number, fetch: number): string {
  const query = queryVector(model, shape);
  return `
SELECT c.product_id, c.title, c.image_url, 1 - (c.embedding_visual <=> ${query}) AS score
  FROM (SELECT e.product_id, p.title, p.image_url, e.embedding_visual
          FROM product_embeddings e
          JOIN products p ON p.id = e.product_id
         WHERE ${modelPredicate(model, 'e')}${shape.byProduct ? ` AND e.product_id <> $1::text AND ${query} IS NOT NULL` : ''}
           ${shape.filtered ? 'AND jsonb_contains(p.attributes, $2::jsonb)' : ''}
         ORDER BY ${indexedVectorExpression(model, 'e')} <=> (${query})::${model.storage}(${model.dim})
         LIMIT ${fetch}) c
 ORDER BY c.embedding_visual <=> ${query}
 LIMIT ${k}`;
}

/**
 * Exact: the products the filter keeps (GIN index, materialized first so nothing else is planned
 * around it), joined to their vectors by primary key, every one scored by the float32 distance.
 * Ordering by the plain column (not the index expression) keeps the HNSW index out of it.
 */
export function exactSql(model: IndexedModel, shape: QueryShape, k: number): string {
  const query = queryVector(model, shape);
  const matching = shape.filtered ? 'products WHERE attributes @> $2::jsonb' : 'products';
  return `
WITH m AS MATERIALIZED (SELECT id, title, image_url FROM ${matching})
SELECT e.product_id, m.title, m.image_url, 1 - (e.embedding_visual <=> ${query}) AS score
  FROM m
  JOIN product_embeddings e ON e.product_id = m.id AND ${modelPredicate(model, 'e')}
 WHERE e.embedding_visual IS NOT NULL${shape.byProduct ? ` AND m.id <> $1::text AND ${query} IS NOT NULL` : ''}
 ORDER BY e.embedding_visual <=> ${query}
 LIMIT ${k}`;
}
