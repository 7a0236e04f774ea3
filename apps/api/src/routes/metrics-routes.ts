import { Router } from 'express';
import type { MetricsCollector } from '@vectorizer/runtime';

export function metricsRoutes(collector: MetricsCollector): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const body = await collector.render();
    res.setHeader('Content-Type', collector.contentType);
    res.send(body);
  });
  return router;
}
