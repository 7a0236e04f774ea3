import type { RequestHandler } from 'express';

/**
 * Enforces DASHBOARD_READ_ONLY on the server. The board's readOnlyMode only hides buttons; a
 * crafted request would still retry or obliterate, so every non-GET request under the board is refused here.
 */
export function refuseWrites(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    res.status(403).json({
      error: {
        code: 'DASHBOARD_READ_ONLY',
        message: `The dashboard is read-only: ${req.method} ${req.originalUrl} refused`,
        hint: 'Unset DASHBOARD_READ_ONLY (or set it to false) to allow retrying, cleaning and pausing from the dashboard.',
      },
    });
  };
}
