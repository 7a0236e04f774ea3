import { VectorizerError } from '@vectorizer/errors';
import type { CatalogService } from '@vectorizer/runtime';
import { Router } from 'express';

export interface ProductStatusRouteOptions {
  catalog: CatalogService;
  /** The model jobs are keyed by, when the request names none. */
  model: () => Promise<string>;
}

/**
 * `GET /api/products/:id/status[?model=ID]`: the same JSON as `vectorizer explain --json`; an unknown
 * product is 404 PRODUCT_NOT_FOUND (the error handler maps the code).
 */
export function productStatusRoutes(options: ProductStatusRouteOptions): Router {
  const router = Router();
  router.get('/products/:id/status', async (req, res) => {
    const requested = req.query['model'];
    if (requested !== undefined && (typeof requested !== 'string' || requested === '')) {
      throw new VectorizerError('REQUEST_INVALID', 'model must be one model id', { hint: 'Pass ?model=ID once.' });
    }
    const model = requested ?? (await options.model());
    res.json(await options.catalog.explain(req.params.id, model));
  });
  return router;
}
