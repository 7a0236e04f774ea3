import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Express } from 'express';
import { authenticate } from './authenticate';
import type { DashboardAccess } from './dashboard-access';
import { FreshBudgetAdapter } from './fresh-budget-adapter';
import { refuseWrites } from './read-only';
import { requireSameOrigin } from './same-origin';

export const DASHBOARD_PATH = '/admin/queues';

export interface DashboardQueue {
  queue: Queue;
  description: string;
}

/**
 * Bull Board behind, in order: authentication (401), the same-origin guard for writes (403) and,
 * when read-only, the write refusal (403). The embed queue's "failed" tab is the dead-letter view;
 * its "retry" gives a job a fresh attempt budget (FreshBudgetAdapter), as `vectorizer dlq retry` does.
 */
export function mountDashboard(app: Express, queues: readonly DashboardQueue[], access: DashboardAccess): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map(
      ({ queue, description }) =>
        new FreshBudgetAdapter(queue, { readOnlyMode: access.readOnly, allowRetries: !access.readOnly, description }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'vectorizer' } },
  });
  const guards = [authenticate(access), requireSameOrigin(), ...(access.readOnly ? [refuseWrites()] : [])];
  app.use(DASHBOARD_PATH, ...guards, serverAdapter.getRouter());
}
