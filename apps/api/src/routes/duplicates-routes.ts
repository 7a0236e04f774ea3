import type { DuplicatesService, SearchInput } from '@vectorizer/search';
import { Router } from 'express';
import { withDisplayImageUrl } from '../search/display-image-url';

export interface DuplicatesRoutesOptions {
  duplicates: DuplicatesService;
  input: SearchInput;
}

/**
 * GET /api/duplicates: groups of near-duplicate products from the stored links (libs/search
 * DuplicatesService.linked), with the threshold used and, when chosen automatically, the
 * distribution it came from. Images as search answers carry them: a browser can load every one.
 */
export function duplicatesRoutes({ duplicates, input }: DuplicatesRoutesOptions): Router {
  const router = Router();
  router.get('/duplicates', async (req, res) => {
    const threshold = input.threshold(req.query.threshold);
    // Each product's stored neighbours bound k.
    const k = input.linkK(req.query.k);
    const answer = await duplicates.linked(threshold, k);
    const groups = answer.groups.map((group) => ({ ...group, products: group.products.map(withDisplayImageUrl) }));
    res.json({ ...answer, groups });
  });
  return router;
}
