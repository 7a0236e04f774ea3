import { ensureDevModel } from '@vectorizer/dev-model';
import { resolveModel } from '@vectorizer/embedder';
import { EmbeddingsRepository, ProductsRepository, createPool, runMigrations } from '@vectorizer/store';
import { DEV_TINY_MODEL_DIR, createTestDatabase, type TestDatabase } from '@vectorizer/testing';

export interface EmbeddedProduct {
  id: string;
  title: string;
  embedding: Float32Array;
  attributes?: Record<string, unknown>;
}

/** A deterministic unit vector; `nudge` moves it slightly (a re-encoded copy of the same photo). */
export function unitVector(seed: number, dimension: number, nudge = 0): Float32Array {
  const v = new Float32Array(dimension);
  let state = seed * 7919 + 17;
  for (let i = 0; i < dimension; i += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    v[i] = state / 2147483648 - 0.5 + (i === 0 ? nudge : 0);
  }
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/**
 * A fresh test database, migrated for the tiny dev model, holding `products(dimension)` with their
 * embeddings stored under that model's id (image https://img.test/<id>.jpg), as if the worker had run.
 */
export async function createEmbeddedCatalog(
  databaseName: string,
  products: (dimension: number) => EmbeddedProduct[],
): Promise<TestDatabase> {
  await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
  const model = await resolveModel({ modelDir: DEV_TINY_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' });
  const database = await createTestDatabase(databaseName);
  const pool = createPool(database.url, { max: 1 });
  try {
    await runMigrations(pool, { model });
    const rows = products(model.dimension);
    await new ProductsRepository(pool).upsertMany(
      rows.map(({ id, title, attributes }) => ({
        id,
        title,
        imageUrl: `https://img.test/${id}.jpg`,
        attributes: attributes ?? null,
      })),
    );
    await new EmbeddingsRepository(pool).upsertMany(
      rows.map(({ id, embedding }) => ({
        productId: id,
        model: model.id,
        embedding,
        imageUrl: `https://img.test/${id}.jpg`,
        imageSha256: 'a'.repeat(64),
      })),
    );
  } catch (error) {
    await pool.end();
    await database.drop();
    throw error;
  }
  await pool.end();
  return database;
}
