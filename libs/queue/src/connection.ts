import IORedis, { type Redis } from 'ioredis';
import { describeRedisFailure } from './errors';

/**
 * A connection for BullMQ Workers: `maxRetriesPerRequest: null` is what BullMQ requires for
 * blocking commands, and ioredis reconnects forever, so a Redis restart pauses work, never kills it.
 */
export function createWorkerConnection(redisUrl: string): Redis {
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  // Without a listener ioredis prints every reconnect failure; BullMQ surfaces the ones that matter.
  connection.on('error', () => undefined);
  return connection;
}

export interface CommandConnectionOptions {
  /** How long to wait for the first connection before giving up. */
  connectTimeoutMs?: number;
}

/**
 * A connection for short-lived commands (CLI, producers): connects now and throws
 * RedisUnavailableError within seconds when Redis is down, instead of queueing commands forever.
 */
export async function connectForCommand(redisUrl: string, options: CommandConnectionOptions = {}): Promise<Redis> {
  let connected = false;
  const connection = new IORedis(redisUrl, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 3_000,
    maxRetriesPerRequest: 1,
    // Never retries the first connect (the command should fail now, and a scheduled reconnect would
    // keep the process alive); later, a few quick reconnects ride out a blip mid-command.
    retryStrategy: (attempt) => (!connected || attempt > 3 ? null : attempt * 200),
  });
  let lastError: unknown;
  connection.on('error', (error) => {
    lastError = error;
  });
  try {
    await connection.connect();
    await connection.ping();
    connected = true;
    return connection;
  } catch (error) {
    // A refused connection has already ended; disconnecting it again would arm a 2 s timer that
    // keeps the process alive.
    if (connection.status !== 'end') connection.disconnect();
    throw describeRedisFailure(redisUrl, lastError ?? error);
  }
}

/**
 * A probe of Redis that fails fast: a connection that queues nothing while disconnected and bounds
 * every command, so `probe()` rejects within `timeoutMs` while Redis is down or hung (a Worker's
 * own connection would wait for it forever). It reconnects in the background between probes.
 */
export function createRedisProbe(
  redisUrl: string,
  timeoutMs: number,
): { probe: () => Promise<void>; close: () => void } {
  const connection = new IORedis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    lazyConnect: true,
  });
  connection.on('error', () => undefined);
  return {
    probe: async () => {
      if (connection.status === 'wait' || connection.status === 'end') await connection.connect();
      await connection.ping();
    },
    close: () => connection.disconnect(),
  };
}
