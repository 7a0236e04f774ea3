import type { Pool } from 'pg';
import { cosine, seededUnitVector } from './vectors';

/** What a kNN test catalog is written through (ProductsRepository and EmbeddingsRepository of @vectorizer/store). */
export interface VectorCatalogStores {
  products: {
    upsertMany(
      rows: { id: string; imageUrl: string; title?: string; attributes?: Record<string, unknown> }[],
    ): Promise<unknown>;
  };
  embeddings: {
    upsertMany(
      rows: { productId: string; model: string; embedding: Float32Array; imageUrl: string; imageSha256: string }[],
    ): Promise<unknown>;
  };
}

export interface VectorCatalogOptions {
  model: string;
  dimension: number;
  /** Products p0 … p{size-1}, product i embedded as seededUnitVector(i). */
  size: number;
  attributes?: (i: number) => Record<string, unknown>;
  /** Give product i the title `T{i}`. */
  titled?: boolean;
}

/**
 * A catalog of products with seeded unit vectors, written the way the worker would, then ANALYZEd
 * so the planner sees its real size: what a test of kNN queries searches. Returns its ids and how
 * to compute the true nearest products by brute force.
 */
export async function seedVectorCatalog(
  pool: Pool,
  stores: VectorCatalogStores,
  options: VectorCatalogOptions,
): Promise<VectorCatalog> {
  const ids = Array.from({ length: options.size }, (_, i) => i);
  const imageUrl = (i: number): string => `https://img/p${i}.jpg`;
  await stores.products.upsertMany(
    ids.map((i) => ({
      id: `p${i}`,
      imageUrl: imageUrl(i),
      ...(options.titled ? { title: `T${i}` } : {}),
      ...(options.attributes ? { attributes: options.attributes(i) } : {}),
    })),
  );
  await stores.embeddings.upsertMany(
    ids.map((i) => ({
      productId: `p${i}`,
      model: options.model,
      embedding: seededUnitVector(i, options.dimension),
      imageUrl: imageUrl(i),
      imageSha256: i.toString(16).padStart(64, '0'),
    })),
  );
  await pool.query('ANALYZE products; ANALYZE product_embeddings');
  return new VectorCatalog(ids, options.dimension);
}

export class VectorCatalog {
  constructor(
    readonly ids: readonly number[],
    private readonly dimension: number,
  ) {}

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
}
