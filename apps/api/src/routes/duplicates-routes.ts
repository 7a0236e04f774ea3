import { type DuplicateLinks, LINKS_PER_PRODUCT } from '@vectorizer/search';
import { Router } from 'express';
import { parseK, parseThreshold } from '@vectorizer/search';
import { displayImageUrl } from '../search/display-image-url';
import type { ActiveModelSource } from '../search/search-service';

/**
 * Pending links a request computes before answering: right after a small ingest the page is
 * complete; a large backlog is left to the background refresher and the answer says how much is
 * pending.
 */
const CATCH_UP = 200;

export interface DuplicatesRoutesOptions {
  /** The active model: its stored vectors are compared, as similar-product search does. */
  models: ActiveModelSource;
  links: DuplicateLinks;
}

/**
 * GET /api/duplicates: groups of near-duplicate products from the stored links (libs/search
 * DuplicateLinks), with the threshold used and, when chosen automatically, the distribution it
 * came from. Images as search answers carry them: a browser can load every one.
 */
export function duplicatesRoutes(options: DuplicatesRoutesOptions): Router {
  const router = Router();
  router.get('/duplicates', async (req, res) => {
    const threshold = parseThreshold(req.query.threshold);
    // Each product's stored neighbours bound k.
    const k = parseK(req.query.k, LINKS_PER_PRODUCT);
    // Stored vectors only, so no query is embedded: the active model answers whatever this process loaded.
    const { id: modelId } = await options.models.requireActive();
    await options.links.refresh(modelId, CATCH_UP);
    const report = await options.links.report(modelId, threshold, k);
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
