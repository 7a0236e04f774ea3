import type { Pool } from 'pg';
import { InvalidStoreInputError } from './errors';
import { chunk, valuesPlaceholders } from './sql';
import type { Product, ProductInput } from './types';
import { upToDateEmbedding } from './up-to-date-embedding';

/** 4 parameters a row: 1000 rows stay far below PostgreSQL's 65535-parameter limit. */
const UPSERT_CHUNK_ROWS = 1000;
const DEFAULT_PAGE_SIZE = 1000;

export interface NeedingEmbeddingOptions {
  /** Every product, embedded or not (re-embed everything). */
  all?: boolean;
  /** Only these products. */
  ids?: string[];
  /** Products per page; pages are fetched one at a time, so memory stays bounded. */
  batchSize?: number;
}

interface ProductRow {
  id: string;
  image_url: string;
  title: string | null;
  attributes: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
}

export class ProductsRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts or updates products, 1000 rows per statement. A row whose image_url, title and
   * attributes are unchanged is left alone (updated_at keeps its value). Within one call the
   * last occurrence of an id wins. Chunks are independent statements: rerunning is safe.
   * Returns how many rows were inserted or changed.
   */
  async upsertMany(products: ProductInput[]): Promise<number> {
    const byId = new Map<string, ProductInput>();
    products.forEach((product, index) => byId.set(validateProduct(product, index).id, product));
    let changed = 0;
    for (const rows of chunk([...byId.values()], UPSERT_CHUNK_ROWS)) {
      const params = rows.flatMap((p) => [
        p.id,
        p.imageUrl,
        p.title ?? null,
        p.attributes == null ? null : JSON.stringify(p.attributes),
      ]);
      const result = await this.pool.query(
        `INSERT INTO products AS p (id, image_url, title, attributes)
         VALUES ${valuesPlaceholders(rows.length, 4, (column) => (column === 3 ? '::jsonb' : '::text'))}
         ON CONFLICT (id) DO UPDATE
            SET image_url = EXCLUDED.image_url, title = EXCLUDED.title, attributes = EXCLUDED.attributes, updated_at = now()
          WHERE (p.image_url, p.title, p.attributes) IS DISTINCT FROM (EXCLUDED.image_url, EXCLUDED.title, EXCLUDED.attributes)`,
        params,
      );
      changed += result.rowCount ?? 0;
    }
    return changed;
  }

  async get(id: string): Promise<Product | undefined> {
    const { rows } = await this.pool.query<ProductRow>(
      'SELECT id, image_url, title, attributes, created_at, updated_at FROM products WHERE id = $1',
      [id],
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : {
          id: row.id,
          imageUrl: row.image_url,
          title: row.title,
          attributes: row.attributes,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        };
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>('SELECT count(*) AS count FROM products');
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Deletes one product; its embeddings go with it (ON DELETE CASCADE). Returns the image_url it
   * had, so the caller can drop a job still queued for it, or undefined when there was no such product.
   */
  async delete(id: string): Promise<{ imageUrl: string } | undefined> {
    const { rows } = await this.pool.query<{ image_url: string }>(
      'DELETE FROM products WHERE id = $1 RETURNING image_url',
      [id],
    );
    return rows[0] === undefined ? undefined : { imageUrl: rows[0].image_url };
  }

  /**
   * Pages of products whose embedding for `model` is missing or stale (no row, no vector, or
   * embedded from another image_url), in id order. Keyset pagination (id > last id of the previous
   * page) keeps every page one index range scan and memory at one page, even on millions of rows.
   */
  async *streamNeedingEmbedding(
    model: string,
    opts: NeedingEmbeddingOptions = {},
  ): AsyncIterable<{ id: string; imageUrl: string }[]> {
    const batchSize = opts.batchSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidStoreInputError(`batchSize must be a positive whole number, got ${batchSize}`);
    }
    if (typeof model !== 'string' || model === '') throw new InvalidStoreInputError('model must be a non-empty string');
    const ids = opts.ids === undefined ? undefined : [...new Set(opts.ids)];
    if (ids?.length === 0) return;

    let after: string | undefined;
    for (;;) {
      const conditions: string[] = [];
      const params: unknown[] = [batchSize];
      const cursor = after === undefined ? undefined : `$${params.push(after)}`;
      if (cursor) conditions.push(`p.id > ${cursor}`);
      if (ids !== undefined) conditions.push(`p.id = ANY($${params.push(ids)}::text[])`);
      if (!opts.all) {
        // The planner does not carry "p.id > cursor" over to e.product_id; without the explicit
        // range every page would re-read the embeddings of all earlier pages. For a list of ids,
        // OFFSET 0 keeps NOT EXISTS a per-product primary-key probe: turned into an anti join, a
        // plan made from stale statistics (millions of vectors written since the last ANALYZE)
        // hashes every vector of the model for those few ids (docs/performance.md has the figures).
        conditions.push(`NOT EXISTS (
          SELECT 1 FROM product_embeddings e
           WHERE ${upToDateEmbedding(`$${params.push(model)}`)}
             ${cursor ? `AND e.product_id > ${cursor}` : ''}
             ${ids !== undefined ? 'OFFSET 0' : ''})`);
      }
      const { rows } = await this.pool.query<{ id: string; image_url: string }>(
        `SELECT p.id, p.image_url FROM products p
          ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
          ORDER BY p.id LIMIT $1`,
        params,
      );
      if (rows.length > 0) yield rows.map((row) => ({ id: row.id, imageUrl: row.image_url }));
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]?.id;
    }
  }

  /**
   * One page of products whose embedding for `model` is missing or stale, oldest first (updated_at,
   * then id), strictly after `after`: the reconcile loop's walk. An index range scan on
   * (updated_at, id) with a primary-key probe of product_embeddings per product, so a page costs
   * the products it passes over, not the table.
   */
  async pageNeedingEmbeddingOldestFirst(
    model: string,
    opts: { after?: ProductPosition; limit: number },
  ): Promise<{ id: string; imageUrl: string; position: ProductPosition }[]> {
    if (!Number.isInteger(opts.limit) || opts.limit < 1) {
      throw new InvalidStoreInputError(`limit must be a positive whole number, got ${opts.limit}`);
    }
    if (typeof model !== 'string' || model === '') throw new InvalidStoreInputError('model must be a non-empty string');
    const params: unknown[] = [model, opts.limit];
    const after = opts.after
      ? `AND (p.updated_at, p.id) > ($${params.push(opts.after.updatedAt)}::timestamptz, $${params.push(opts.after.id)}::text)`
      : '';
    const { rows } = await this.pool.query<{ id: string; image_url: string; updated_at: string }>(
      // updated_at as text: a JS Date keeps milliseconds, Postgres microseconds, and a truncated
      // cursor would sort before its own row and return it again.
      `SELECT p.id, p.image_url, p.updated_at::text AS updated_at FROM products p
        WHERE NOT EXISTS (SELECT 1 FROM product_embeddings e WHERE ${upToDateEmbedding('$1')})
          ${after}
        ORDER BY p.updated_at, p.id LIMIT $2`,
      params,
    );
    return rows.map((row) => ({
      id: row.id,
      imageUrl: row.image_url,
      position: { updatedAt: row.updated_at, id: row.id },
    }));
  }
}

/** Where a product sits in the "oldest first" order. */
export interface ProductPosition {
  /** updated_at as Postgres prints it (microseconds intact). */
  updatedAt: string;
  id: string;
}

function validateProduct(product: ProductInput, index: number): ProductInput {
  const where = `products[${index}]`;
  if (product === null || typeof product !== 'object') throw new InvalidStoreInputError(`${where} is not an object`);
  if (typeof product.id !== 'string' || product.id.trim() === '') {
    throw new InvalidStoreInputError(`${where}.id must be a non-empty string`);
  }
  if (typeof product.imageUrl !== 'string' || product.imageUrl.trim() === '') {
    throw new InvalidStoreInputError(
      `${where}.imageUrl must be a non-empty string (product ${JSON.stringify(product.id)})`,
    );
  }
  if (product.title != null && typeof product.title !== 'string') {
    throw new InvalidStoreInputError(`${where}.title must be a string or null (product ${JSON.stringify(product.id)})`);
  }
  if (product.attributes != null && (typeof product.attributes !== 'object' || Array.isArray(product.attributes))) {
    throw new InvalidStoreInputError(
      `${where}.attributes must be an object or null (product ${JSON.stringify(product.id)})`,
    );
  }
  return product;
}
