import { explainProduct } from '@vectorizer/health';
import { VectorizerError } from '@vectorizer/errors';
import type { Queue } from 'bullmq';
import { Router } from 'express';
import type { Pool } from 'pg';

export interface ProductStatusRouteOptions {
  pool: Pool;
  queue: Queue;
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
    res.json(await explainProduct({ pool: options.pool, queue: options.queue }, req.params.id, model));
  });
  return router;
}
