import { EmbeddingsRepository, ProductsRepository } from '@vectorizer/store';
import type { Pool } from 'pg';
import type { QueryEncoder } from '@vectorizer/search';
import { sha256 } from './catalog-images';

export interface SeedProduct {
  id: string;
  title: string;
  image: Buffer;
  /** Stored instead of the image's embedding (text-search fixtures store a text embedding). */
  embedding?: Float32Array;
  imageUrl?: string;
  attributes?: Record<string, unknown>;
}

/** Writes products and their embeddings the way the worker would, with the test's encoder. */
export async function seedCatalog(pool: Pool, encoder: QueryEncoder, products: SeedProduct[]): Promise<void> {
  const imageUrlOf = (p: SeedProduct) => p.imageUrl ?? `https://img.test/${p.id}.png`;
  await new ProductsRepository(pool).upsertMany(
    products.map((p) => ({ id: p.id, title: p.title, imageUrl: imageUrlOf(p), attributes: p.attributes ?? null })),
  );
  const needImage = products.filter((p) => p.embedding === undefined);
  const vectors = needImage.length === 0 ? [] : await encoder.embedImages(needImage.map((p) => p.image));
  const byId = new Map(needImage.map((p, i) => [p.id, vectors[i]]));
  await new EmbeddingsRepository(pool).upsertMany(
    products.map((p) => ({
      productId: p.id,
      model: encoder.modelId,
      embedding: p.embedding ?? (byId.get(p.id) as Float32Array),
      imageUrl: imageUrlOf(p),
      imageSha256: sha256(p.image),
    })),
  );
}
