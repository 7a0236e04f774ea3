import type { RequestHandler } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests started by another site. Browsers resend basic-auth
 * credentials on cross-site requests, so authentication alone does not stop a page elsewhere from
 * POSTing "retry all" or "obliterate". Browsers mark requests with Sec-Fetch-Site and Origin;
 * clients that send neither (curl, scripts) are not browsers and cannot be driven cross-site.
 * Origin is compared with the Host header, so a reverse proxy in front must pass Host through.
 */
export function requireSameOrigin(): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const fetchSite = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    let crossSite = false;
    if (typeof fetchSite === 'string') crossSite = fetchSite !== 'same-origin' && fetchSite !== 'none';
    if (!crossSite && typeof origin === 'string') crossSite = !sameHost(origin, req.headers.host);
    if (!crossSite) {
      next();
      return;
    }
    res.status(403).json({
      error: {
        code: 'CROSS_SITE_REQUEST_REFUSED',
        message: `Refused a cross-site ${req.method} to the dashboard (Origin ${origin ?? 'absent'}, Sec-Fetch-Site ${fetchSite ?? 'absent'})`,
        hint: 'Use the dashboard from its own page; write actions are only accepted from the same origin.',
      },
    });
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false; // "null" (sandboxed frames, file:) or garbage
  }
}
