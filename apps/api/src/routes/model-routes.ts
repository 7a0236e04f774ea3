import type { ResolvedModel } from '@vectorizer/embedder';
import { Router } from 'express';

/**
 * `GET /api/model`: which model searches answer with. `devModel: true` is the generated random-weight
 * model: the page says so, since its results mean nothing.
 */
export function modelRoutes(resolveSearchModel: () => Promise<ResolvedModel>): Router {
  const router = Router();
  router.get('/model', async (_req, res) => {
    const model = await resolveSearchModel();
    res.json({ id: model.id, devModel: model.isDevModel, dimension: model.dimension });
  });
  return router;
}
