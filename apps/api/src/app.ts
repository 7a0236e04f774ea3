import { join } from 'node:path';
import type { Logger } from '@vectorizer/logger';
import type { ApiServices } from '@vectorizer/runtime';
import express, { type Express } from 'express';
import type { DashboardAccess } from './dashboard/dashboard-access';
import { mountDashboard } from './dashboard/mount-dashboard';
import { duplicatesRoutes } from './routes/duplicates-routes';
import { errorHandler } from './routes/error-handler';
import { healthRoutes } from './routes/health-routes';
import { intakeRoutes } from './routes/intake-routes';
import { metricsRoutes } from './routes/metrics-routes';
import { modelRoutes } from './routes/model-routes';
import { productImageRoutes } from './routes/product-image-routes';
import { productStatusRoutes } from './routes/product-status-routes';
import { searchRoutes } from './routes/search-routes';

/** The API's services (wired by @vectorizer/runtime) and what only the HTTP layer decides. */
export interface ApiDependencies extends ApiServices {
  dashboard: DashboardAccess;
  /** SEARCH_MAX_CONCURRENT_UPLOADS: image searches held at once. */
  maxConcurrentUploads?: number;
  logger: Logger;
}

const PUBLIC_DIR = join(__dirname, 'public');

/**
 * Builds the express app from ready-made dependencies, so tests run it in-process against real
 * services. It opens nothing and closes nothing: the owner of the dependencies does both.
 */
export function createApp(deps: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');

  mountDashboard(
    app,
    [
      {
        queue: deps.queues.embed,
        description:
          'Product images to embed. "failed" holds the dead letters (failed reason = code: message); retry them there or with `vectorizer dlq retry`.',
      },
    ],
    deps.dashboard,
  );

  app.use(healthRoutes(() => deps.readiness()));
  app.use(metricsRoutes(deps.metrics));
  app.use(
    '/api',
    searchRoutes({
      service: deps.search,
      input: deps.input,
      imageMaxBytes: deps.imageMaxBytes,
      maxConcurrentUploads: deps.maxConcurrentUploads,
    }),
  );
  app.use('/api', duplicatesRoutes({ duplicates: deps.duplicates, input: deps.input }));
  app.use(
    '/api',
    intakeRoutes({
      token: deps.intake.token,
      maxBodyBytes: deps.intake.maxBodyBytes,
      catalog: deps.catalog,
      model: deps.intake.model,
    }),
  );
  app.use('/api', productImageRoutes(deps.productImages));
  app.use('/api', productStatusRoutes({ catalog: deps.catalog, model: deps.intake.model }));
  app.use('/api', modelRoutes(deps.resolveSearchModel));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m' }));
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'ROUTE_NOT_FOUND', message: `No route for ${req.method} ${req.path}` } });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
