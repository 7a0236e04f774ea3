import type pg from 'pg';
import { type SchemaStore, createMigratedSchema } from './migrated-schema';
import type { TestSchema } from './postgres';
import { cosine, seededUnitVector } from './vectors';

/** The parts of @vectorizer/store a test catalog is made with (this library sits below the store). */
export interface CatalogStore extends SchemaStore {
  ProductsRepository: new (pool: pg.Pool) => {
    upsertMany(
      rows: { id: string; imageUrl: string; title?: string; attributes?: Record<string, unknown> }[],
    ): Promise<unknown>;
  };
  EmbeddingsRepository: new (pool: pg.Pool) => {
    upsertMany(
      rows: { productId: string; model: string; embedding: Float32Array; imageUrl: string; imageSha256: string }[],
    ): Promise<unknown>;
  };
}

export interface VectorCatalogOptions {
  /** The test schema's name prefix. */
  name: string;
  model: string;
  /** Products p0 … p{size-1}, product i embedded as seededUnitVector(i, dimension). */
  size: number;
  dimension?: number;
  attributes?: (i: number) => Record<string, unknown>;
  /** Give product i the title `T{i}`. */
  titled?: boolean;
}

/** The dimension of a test catalog's vectors unless told: small, and enough for HNSW to be approximate. */
export const CATALOG_DIMENSION = 16;

/**
 * A schema of its own holding a catalog of products with seeded unit vectors, migrated for `model`
 * and written the way the worker would, then ANALYZEd so the planner sees its real size: what a
 * test of kNN queries searches, with the brute-force answer to compare with.
 */
export async function createVectorCatalog(store: CatalogStore, options: VectorCatalogOptions): Promise<VectorCatalog> {
  const dimension = options.dimension ?? CATALOG_DIMENSION;
  const db = await createMigratedSchema(store, options.name, { id: options.model, dimension }, 2);
  const ids = Array.from({ length: options.size }, (_, i) => i);
  const imageUrl = (i: number): string => `https://img/p${i}.jpg`;
  await new store.ProductsRepository(db.pool).upsertMany(
    ids.map((i) => ({
      id: `p${i}`,
      imageUrl: imageUrl(i),
      ...(options.titled ? { title: `T${i}` } : {}),
      ...(options.attributes ? { attributes: options.attributes(i) } : {}),
    })),
  );
  await new store.EmbeddingsRepository(db.pool).upsertMany(
    ids.map((i) => ({
      productId: `p${i}`,
      model: options.model,
      embedding: seededUnitVector(i, dimension),
      imageUrl: imageUrl(i),
      imageSha256: i.toString(16).padStart(64, '0'),
    })),
  );
  await db.pool.query('ANALYZE products; ANALYZE product_embeddings');
  return new VectorCatalog(db, ids, dimension);
}

export class VectorCatalog {
  constructor(
    readonly db: TestSchema,
    readonly ids: readonly number[],
    readonly dimension: number,
  ) {}

  get pool(): pg.Pool {
    return this.db.pool;
  }

  vector(i: number): Float32Array {
    return seededUnitVector(i, this.dimension);
  }

  /** The ids (`p{i}`) of the true k nearest to `query` among the products `keep` admits, best first. */
  nearest(query: Float32Array, k: number, keep: (i: number) => boolean = () => true, exclude?: number): string[] {
    return this.ids
      .filter((i) => keep(i) && i !== exclude)
      .map((i) => ({ id: `p${i}`, score: cosine(query, this.vector(i)) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map((e) => e.id);
  }

  drop(): Promise<void> {
    return this.db.drop();
  }
}
