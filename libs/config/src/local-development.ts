import type { Config } from './schema';

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

/**
 * Local development: NODE_ENV is not production and Redis runs on this machine (a loopback
 * address), as the quick start's own Redis does. There, operational advice (Redis persistence)
 * is a warning; anywhere else, and always with NODE_ENV=production, it stays a failure.
 */
export function isLocalDevelopment(config: Pick<Config, 'NODE_ENV' | 'REDIS_URL'>): boolean {
  if (config.NODE_ENV === 'production') return false;
  try {
    return LOOPBACK_HOSTS.test(new URL(config.REDIS_URL).hostname);
  } catch {
    return false;
  }
}
