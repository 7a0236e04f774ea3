import { findDuplicates } from '@vectorizer/search';
import { EmbeddingsRepository, ProductsRepository } from '@vectorizer/store';
import { Router } from 'express';
import type { Pool } from 'pg';
import { SearchInputError, parseK } from '../search/search-input';
import { displayImageUrl } from '../search/display-image-url';
import type { ActiveModelSource, VectorSearch } from '../search/search-service';

export interface DuplicatesRoutesOptions {
  pool: Pool;
  /** The active model: its stored vectors are compared, as similar-product search does. */
  models: ActiveModelSource;
  search: VectorSearch;
  maxK: number;
}

/** `threshold` from a query string: absent or `auto` → chosen from the catalog; else a similarity in (0, 1]. */
export function parseThreshold(raw: unknown): number | 'auto' {
  const text = Array.isArray(raw) ? String(raw[raw.length - 1]) : raw === undefined ? '' : String(raw);
  if (text === '' || text === 'auto') return 'auto';
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    throw new SearchInputError(
      `threshold must be a cosine similarity in (0, 1] or auto, got ${JSON.stringify(text)}`,
      'Leave it out to choose it from the catalog, or pass e.g. threshold=0.97.',
    );
  }
  return value;
}

/**
 * GET /api/duplicates: groups of near-duplicate products (libs/search findDuplicates), with the
 * threshold used and, when chosen automatically, the distribution it came from. One kNN query per
 * embedded product: seconds for thousands of products, minutes for millions.
 */
export function duplicatesRoutes(options: DuplicatesRoutesOptions): Router {
  const router = Router();
  const embeddings = new EmbeddingsRepository(options.pool);
  const products = new ProductsRepository(options.pool);
  router.get('/duplicates', async (req, res) => {
    const threshold = parseThreshold(req.query.threshold);
    const k = parseK(req.query.k, options.maxK);
    // Stored vectors only, so no query is embedded: the active model answers whatever this process loaded.
    const { id: modelId } = await options.models.requireActive();
    const report = await findDuplicates({
      productIds: embeddings.embeddedProductIds(modelId),
      neighbours: async (productId) => (await options.search.search({ productId }, modelId, k)).hits,
      describe: (productId) => products.get(productId),
      threshold,
    });
    // Pictures a browser can show, as search answers carry them (file:// images through the API).
    const groups = report.groups.map((group) => ({
      ...group,
      products: group.products.map((product) => ({
        ...product,
        imageUrl: displayImageUrl(product.productId, product.imageUrl),
      })),
    }));
    res.json({ model: modelId, ...report, groups });
  });
  return router;
}
