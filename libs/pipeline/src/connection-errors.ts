/** Socket-level failures: the peer is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs that mean "the server cannot serve you right now": class 08 (connection
 * exception), 57P01-57P03 (shutting down, crashed, starting up), 53300 (too many connections).
 */
const POSTGRES_UNAVAILABLE_STATES = /^(08...|57P0[1-3]|53300)$/;

/** Messages pg and ioredis use for a connection that dropped or never opened. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is closed',
  'connect ECONNREFUSED',
  'Reached the max retries per request limit',
];

/**
 * True when the error says the server could not be reached, as opposed to a query or command it
 * rejected. Walks `cause` chains and AggregateErrors (pg reports both IPv4 and IPv6 attempts).
 */
export function isConnectionError(error: unknown, depth = 0): boolean {
  // Duck-typed, not instanceof: socket errors are created by Node core, which may be another realm.
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { code, message, errors, cause } = error as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_UNAVAILABLE_STATES.test(code))) return true;
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((known) => message.includes(known))) return true;
  if (Array.isArray(errors) && errors.some((inner) => isConnectionError(inner, depth + 1))) return true;
  return isConnectionError(cause, depth + 1);
}
