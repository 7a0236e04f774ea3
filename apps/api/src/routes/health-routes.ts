import type { ReadinessReport } from '@vectorizer/health';
import { Router } from 'express';

/**
 * /healthz: the process answers (liveness; restart it when this fails).
 * /readyz: it can serve — Redis, Postgres, pgvector + schema + HNSW index, the search model
 * (readiness; route traffic elsewhere while it is 503). Live workers are reported in `workers`
 * and never make it 503: search needs no worker.
 */
export function healthRoutes(readiness: () => Promise<ReadinessReport>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  return router;
}
