import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DashboardAccess } from './dashboard-access';

/** Compares digests so neither the length nor the content of the secret leaks through timing. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function basicCredentials(header: string): { user: string; password: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function isAuthorized(header: string | undefined, access: DashboardAccess): boolean {
  if (access.open) return true;
  if (header === undefined) return false;
  const bearer = /^Bearer (.+)$/i.exec(header);
  if (bearer && access.token !== undefined) return safeEqual(bearer[1], access.token);
  const basic = basicCredentials(header);
  if (basic && access.basic) {
    // Both compared every time: a wrong user must not answer faster than a wrong password.
    const userOk = safeEqual(basic.user, access.basic.user);
    const passwordOk = safeEqual(basic.password, access.basic.password);
    return userOk && passwordOk;
  }
  return false;
}

/** 401 with a challenge the browser understands when basic auth is configured. */
export function authenticate(access: DashboardAccess): RequestHandler {
  return (req, res, next) => {
    if (isAuthorized(req.headers.authorization, access)) {
      next();
      return;
    }
    if (access.basic) res.setHeader('WWW-Authenticate', 'Basic realm="vectorizer dashboard", charset="UTF-8"');
    else res.setHeader('WWW-Authenticate', 'Bearer realm="vectorizer dashboard"');
    res.status(401).json({
      error: {
        code: 'DASHBOARD_UNAUTHORIZED',
        message: 'The dashboard needs credentials',
        hint: access.basic
          ? 'Log in with DASHBOARD_USER / DASHBOARD_PASSWORD.'
          : 'Send Authorization: Bearer <DASHBOARD_TOKEN>.',
      },
    });
  };
}
