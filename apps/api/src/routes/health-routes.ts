import { checkReadiness, type ReadinessDependencies } from '@vectorizer/health';
import { Router } from 'express';

/**
 * /healthz: the process answers (liveness; restart it when this fails).
 * /readyz: it can do its job — Redis, Postgres, pgvector + schema + HNSW index, a live worker
 * (readiness; route traffic elsewhere while it is 503).
 */
export function healthRoutes(readiness: () => ReadinessDependencies): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(readiness());
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  return router;
}
