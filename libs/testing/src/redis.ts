import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Redis every test uses unless it starts its own (infra/scripts/ensure-services.sh). */
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** A queue prefix no other test file uses, as a Redis Cluster hash tag like the real one. */
export function uniquePrefix(name: string): string {
  return `{test-${name.replace(/[^A-Za-z0-9_-]/g, '-')}-${randomBytes(4).toString('hex')}}`;
}

/** A TCP port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServerHandle {
  url: string;
  port: number;
  /** Shuts down cleanly (SHUTDOWN, which fsyncs the AOF) and removes the data directory. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: keeps the data directory, so a restart with `restart()` recovers from it. */
  kill9(): Promise<void>;
  /** Starts a new server on the same port and data directory (after kill9). */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** Persist every write to an append-only file (appendfsync always) for durability tests. */
  appendonly?: boolean;
}

/** Spawns a private `redis-server` on a free port with its data in a temp directory. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'vectorizer-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    join(dir, 'redis.log'),
  ];
  if (options.appendonly) args.push('--appendonly', 'yes', '--appendfsync', 'always');

  let child = await launch(args, port);
  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await terminate(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    async kill9() {
      await terminate(child, 'SIGKILL');
    },
    async restart() {
      child = await launch(args, port);
    },
  };
  return handle;
}

async function launch(args: string[], port: number): Promise<ReturnType<typeof spawn>> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new Error(`could not start redis-server (apt-get install redis-server): ${error.message}`)),
    ),
  );
  await Promise.race([waitForPort(port, 10_000), spawnError]);
  return child;
}

async function terminate(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
