import type { Redis } from 'ioredis';

/** A Lua script with a stable name: loaded once per connection, then run by its SHA (EVALSHA). */
export interface RedisScript {
  name: string;
  lua: string;
}

const loaded = new WeakMap<Redis, Set<string>>();

/**
 * Runs `script` on `connection` through ioredis' defineCommand, as BullMQ runs its own `.lua` files:
 * the script's text crosses the wire once (ioredis falls back to EVAL by itself after a SCRIPT FLUSH
 * or a failover), every later call sends only its SHA and arguments.
 */
export function runScript(connection: Redis, script: RedisScript, keys: string[], args: string[]): Promise<unknown> {
  let names = loaded.get(connection);
  if (!names) loaded.set(connection, (names = new Set()));
  if (!names.has(script.name)) {
    connection.defineCommand(script.name, { lua: script.lua });
    names.add(script.name);
  }
  const command = (connection as unknown as Record<string, (...values: (string | number)[]) => Promise<unknown>>)[
    script.name
  ];
  return command.call(connection, keys.length, ...keys, ...args);
}
