import { isIP } from 'node:net';
import { VectorizerError } from '@vectorizer/errors';

/** Who may open the dashboard: basic-auth credentials, a bearer token (either when both are set), or nobody checked (dev mode). */
export interface DashboardAccess {
  basic?: { user: string; password: string };
  token?: string;
  /** True only in dev mode on a loopback host: no credentials are asked for. */
  open: boolean;
  /** Every write action (retry, clean, pause, …) is refused. */
  readOnly: boolean;
}

export class DashboardCredentialsError extends VectorizerError {
  constructor(message: string, hint: string) {
    super('DASHBOARD_CREDENTIALS_REQUIRED', message, { hint });
  }
}

export interface DashboardSettings {
  HOST: string;
  DASHBOARD_USER?: string;
  DASHBOARD_PASSWORD?: string;
  DASHBOARD_TOKEN?: string;
  DASHBOARD_READ_ONLY: boolean;
  DASHBOARD_DEV_MODE: boolean;
}

/** localhost, 127.0.0.0/8 and ::1: the only hosts on which an unauthenticated dev dashboard is allowed. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '::ffff:127.0.0.1';
  return false;
}

/**
 * Decides dashboard access from the settings, or refuses to start: the dashboard can retry,
 * delete and pause jobs, so it never runs open by accident. A half-configured basic auth (user
 * without password) is refused too rather than silently ignored.
 */
export function resolveDashboardAccess(settings: DashboardSettings): DashboardAccess {
  const { DASHBOARD_USER: user, DASHBOARD_PASSWORD: password, DASHBOARD_TOKEN: token } = settings;
  const readOnly = settings.DASHBOARD_READ_ONLY;
  if ((user === undefined) !== (password === undefined)) {
    throw new DashboardCredentialsError(
      `${user === undefined ? 'DASHBOARD_PASSWORD' : 'DASHBOARD_USER'} is set without ${user === undefined ? 'DASHBOARD_USER' : 'DASHBOARD_PASSWORD'}`,
      'Set both DASHBOARD_USER and DASHBOARD_PASSWORD for basic auth (or DASHBOARD_TOKEN for a bearer token).',
    );
  }
  const basic = user !== undefined && password !== undefined ? { user, password } : undefined;
  if (basic || token !== undefined) return { basic, token, open: false, readOnly };
  if (!settings.DASHBOARD_DEV_MODE) {
    throw new DashboardCredentialsError(
      'The queue dashboard (/admin/queues) has no credentials configured, so the server refuses to start',
      'Set DASHBOARD_USER and DASHBOARD_PASSWORD (basic auth) or DASHBOARD_TOKEN (bearer token); ' +
        'for local development only, DASHBOARD_DEV_MODE=true with HOST=127.0.0.1.',
    );
  }
  if (!isLoopbackHost(settings.HOST)) {
    throw new DashboardCredentialsError(
      `DASHBOARD_DEV_MODE=true serves the dashboard without credentials, which is refused on HOST=${settings.HOST} (not a loopback address)`,
      'Bind to HOST=127.0.0.1 for development, or set DASHBOARD_USER and DASHBOARD_PASSWORD / DASHBOARD_TOKEN.',
    );
  }
  return { open: true, readOnly };
}
