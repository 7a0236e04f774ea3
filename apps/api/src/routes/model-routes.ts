import type { ResolvedModel } from '@vectorizer/embedder';
import { VectorizerError } from '@vectorizer/errors';
import { Router } from 'express';

/**
 * `GET /api/model`: which model searches answer with. `devModel: true` is the generated random-weight
 * model: the page says so, since its results mean nothing.
 */
export function modelRoutes(resolveSearchModel: (() => Promise<ResolvedModel>) | undefined): Router {
  const router = Router();
  router.get('/model', async (_req, res) => {
    if (!resolveSearchModel)
      throw new VectorizerError('MODEL_NOT_FOUND', 'This API has no search model', {
        hint: 'Set MODEL_DIR or MODEL_ID.',
      });
    const model = await resolveSearchModel();
    res.json({ id: model.id, devModel: model.isDevModel, dimension: model.dimension });
  });
  return router;
}
