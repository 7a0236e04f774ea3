// The lifecycle table of the README (Operations → Worker lifecycle), one test per row, driven the way
// an operator drives it: `node bin/vectorizer.js worker …` as a child process, with the real worker
// processes, on the real Redis and PostgreSQL (an own database and queue prefix per test). Dependency
// faults go through a TCP proxy in front of the shared servers, which are never touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, copyFile, mkdir, truncate, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import { ensureDevModel } from '@vectorizer/dev-model';
import { connectForCommand } from '@vectorizer/queue';
import { createPool, runMigrations } from '@vectorizer/store';
import {
  DEV_TINY_MODEL_DIR,
  createTestDatabase,
  eventually,
  freePort,
  startTcpProxy,
  TEST_REDIS_URL,
  uniquePrefix,
  type TcpProxy,
  type TestDatabase,
} from '@vectorizer/testing';
import { REPO_ROOT, cliEnv } from '../test-support/run-cli';

jest.setTimeout(120_000);

const BIN = join(REPO_ROOT, 'bin/vectorizer.js');
/** Small enough that the bounded-stop rows finish quickly; the bound is this + KILL_GRACE (5 s) + exit grace (1 s). */
const SHUTDOWN_TIMEOUT_MS = 2_000;
const STOP_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 5_000 + 1_000;

interface LogEntry {
  level?: string;
  msg?: string;
  code?: string | number;
  childCode?: string;
  component?: string;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `vectorizer` process: its log lines as they come, its exit, and signals to send it. */
class CliProcess {
  readonly entries: LogEntry[] = [];
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cliEnv(env) });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.entries.push(line.startsWith('{') ? (JSON.parse(line) as LogEntry) : { msg: line });
      });
    }
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  get messages(): string[] {
    return this.entries.map((entry) => entry.msg ?? '');
  }

  /** Resolves with the first log entry whose message contains `text` (fails the test after `timeoutMs`). */
  async waitFor(text: string, timeoutMs = 60_000): Promise<LogEntry> {
    const find = () => this.entries.find((entry) => entry.msg?.includes(text));
    try {
      await eventually(() => find() !== undefined, `a log line containing "${text}"`, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the log so far:\n${this.messages.join('\n')}`);
    }
    return find() as LogEntry;
  }

  /** Sends `signal` and resolves with the exit and how long it took after the signal. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit & { ms: number }> {
    const sentAt = Date.now();
    this.child.kill(signal);
    const exit = await this.exited;
    return { ...exit, ms: Date.now() - sentAt };
  }

  count(text: string): number {
    return this.messages.filter((msg) => msg.includes(text)).length;
  }
}

const measured: string[] = [];

describe('vectorizer worker: the lifecycle table, row by row', () => {
  let imageDir: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
    imageDir = await mkdtemp(join(tmpdir(), 'lifecycle-images-'));
    for (let i = 0; i < 4; i += 1) {
      await sharp({ create: { width: 48, height: 40, channels: 3, background: { r: 40 * i, g: 90, b: 200 - 30 * i } } })
        .jpeg()
        .toFile(join(imageDir, `p${i}.jpg`));
    }
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  afterAll(async () => {
    await rm(imageDir, { recursive: true, force: true });
    process.stdout.write(`\nworker lifecycle, measured here:\n${measured.join('\n')}\n`);
  });

  /** A database (migrated unless told otherwise) holding `products` products, and the worker's environment. */
  async function setUp(options: { products?: number; migrate?: boolean; databaseUrl?: (url: string) => string } = {}) {
    const database: TestDatabase = await createTestDatabase('lifecycle');
    cleanups.push(() => database.drop());
    const prefix = uniquePrefix('lifecycle');
    cleanups.push(() => deleteKeys(prefix));
    const pool = createPool(database.url, { max: 1 });
    cleanups.push(() => pool.end());
    if (options.migrate !== false) await runMigrations(pool, {});
    for (let i = 0; i < (options.products ?? 0); i += 1) {
      await pool.query('INSERT INTO products (id, image_url) VALUES ($1, $2)', [
        `p${i}`,
        `file://${join(imageDir, `p${i % 4}.jpg`)}`,
      ]);
    }
    const env: Record<string, string> = {
      DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      MODEL_DIR: DEV_TINY_MODEL_DIR,
      IMAGE_FILE_ROOT: imageDir,
      WORKER_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      RECONCILE_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
    };
    return { database, pool, prefix, env };
  }

  function start(args: string[], env: Record<string, string>): CliProcess {
    const cli = new CliProcess(['worker', ...args], env);
    cleanups.push(async () => {
      cli.stop('SIGKILL');
      await cli.exited;
    });
    return cli;
  }

  async function proxyTo(port: number): Promise<TcpProxy> {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port });
    cleanups.push(() => proxy.close());
    return proxy;
  }

  const throughProxy = (url: string, port: number) => {
    const through = new URL(url);
    through.port = String(port);
    return through.toString();
  };

  it('drain with nothing to do: exits 0 without starting a worker', async () => {
    const { env } = await setUp();
    const startedAt = Date.now();
    const cli = start(['--drain'], env);
    const exit = await cli.exited;
    measured.push(`drain, nothing to do: exit ${exit.code} in ${Date.now() - startedAt} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cli.count('nothing to drain')).toBe(1);
    expect(cli.count('worker started')).toBe(0);
  });

  it('drain: intake enqueues what Postgres holds once a worker is proven, every product is embedded, exit 0', async () => {
    const { env, pool, prefix } = await setUp({ products: 6 });
    const startedAt = Date.now();
    const cli = start(['--drain'], env);
    const exit = await cli.exited;
    measured.push(`drain of 6 products: exit ${exit.code} in ${Date.now() - startedAt} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM product_embeddings');
    expect(Number(rows[0].n)).toBe(6);
    expect(await failedJobs(prefix)).toBe(0);
    // Intake began only after the worker's self-test.
    const messages = cli.messages;
    expect(messages.findIndex((m) => m.includes('passed its model self-test'))).toBeLessThan(
      messages.findIndex((m) => m.includes('intake listener')),
    );
  });

  it('SIGTERM while starting (the worker process just spawned): exit 0, promptly', async () => {
    const { env } = await setUp();
    const cli = start([], env);
    await cli.waitFor('worker started');
    const exit = await cli.stop();
    measured.push(`SIGTERM while starting: exit ${exit.code} in ${exit.ms} ms`);
    expect(exit.code).toBe(0);
    expect(cli.count('worker stopped while starting (it held no job)')).toBe(1);
    expect(exit.ms).toBeLessThan(STOP_BOUND_MS);
  });

  it('SIGTERM while the model loads: the worker exits 0 before taking any job', async () => {
    const { env } = await setUp();
    const cli = start([], env);
    // Logged right before the model's session is created.
    await cli.waitFor('thread plan');
    const exit = await cli.stop();
    measured.push(`SIGTERM while loading the model: exit ${exit.code} in ${exit.ms} ms`);
    expect(exit.code).toBe(0);
    // The worker process itself ended on the signal, saying so (not merely killed by it).
    expect(cli.count('SIGTERM while starting: exiting before taking any job')).toBe(1);
    expect(cli.count('did not stop cleanly')).toBe(0);
    expect(exit.ms).toBeLessThan(STOP_BOUND_MS);
  });

  it('SIGTERM while running: the worker finishes and exits 0', async () => {
    const { env } = await setUp({ products: 2 });
    const cli = start([], env);
    await cli.waitFor('taking jobs');
    const exit = await cli.stop();
    measured.push(`SIGTERM while running: exit ${exit.code} in ${exit.ms} ms`);
    expect(exit.code).toBe(0);
    expect(cli.count('worker stopped')).toBeGreaterThanOrEqual(1);
  });

  it('a broken model: exit 78 with the file named, never restarted, and nothing enqueued', async () => {
    const { env, prefix } = await setUp({ products: 3 });
    const brokenDir = await copyModel();
    await truncate(join(brokenDir, 'onnx', 'vision_model.onnx'), 1000);
    const startedAt = Date.now();
    const cli = start([], { ...env, MODEL_DIR: brokenDir });
    const exit = await cli.exited;
    measured.push(`broken model: exit ${exit.code} in ${Date.now() - startedAt} ms`);
    expect(exit.code).toBe(78);
    expect(cli.count('worker started')).toBe(1);
    const last = cli.entries[cli.entries.length - 1];
    expect(last).toMatchObject({ level: 'fatal', code: 'MODEL_FILE_CORRUPT' });
    expect(last.msg).toContain('vision_model.onnx');
    expect(cli.count('starting intake')).toBe(0);
    expect(await queueKeys(prefix)).toEqual([]);
  });

  it.each([
    {
      name: 'an altered migration',
      code: 'MIGRATION_CHECKSUM_MISMATCH',
      schemaChange: "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1",
    },
    {
      name: 'a schema newer than the code',
      code: 'SCHEMA_NEWER_THAN_CODE',
      schemaChange: "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'from_the_future', 'x')",
    },
  ])('$name: exit 78 ($code), not restarted', async ({ schemaChange, code }) => {
    const { env, pool } = await setUp();
    await pool.query(schemaChange);
    const cli = start([], env);
    const exit = await cli.exited;
    expect(exit.code).toBe(78);
    expect(cli.count('worker started')).toBe(1);
    expect(cli.entries.at(-1)).toMatchObject({ level: 'fatal', code });
  });

  it('bad settings: exit 78 (CONFIG_INVALID) in one line naming the setting, no worker started', async () => {
    const { env } = await setUp();
    const cli = start([], { ...env, WORKER_SHUTDOWN_TIMEOUT_MS: 'soon' });
    const exit = await cli.exited;
    expect(exit.code).toBe(78);
    expect(cli.count('worker started')).toBe(0);
    const fatal = cli.entries.filter((entry) => entry.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(fatal[0].msg).toContain('WORKER_SHUTDOWN_TIMEOUT_MS');
  });

  it('a missing database: exit 78 (POSTGRES_DATABASE_MISSING) with the URL, not restarted', async () => {
    const { env } = await setUp({
      databaseUrl: (url) => {
        const missing = new URL(url);
        missing.pathname = '/vectorizer_lifecycle_missing';
        return missing.toString();
      },
    });
    const cli = start([], env);
    const exit = await cli.exited;
    expect(exit.code).toBe(78);
    expect(cli.count('worker started')).toBe(1);
    const last = cli.entries.at(-1);
    expect(last).toMatchObject({ level: 'fatal', code: 'POSTGRES_DATABASE_MISSING' });
    expect(last?.msg).toContain('vectorizer_lifecycle_missing');
  });

  it('PostgreSQL down at start: waits with backoff, one line per attempt; SIGTERM then exits 0', async () => {
    const closedPort = await freePort();
    const { env } = await setUp({ databaseUrl: (url) => throughProxy(url, closedPort) });
    const cli = start([], env);
    await cli.waitFor('(attempt 2)');
    const retries = cli.entries.filter((entry) => entry.msg?.includes('restarting in'));
    expect(retries.every((entry) => entry.level === 'warn' && entry.childCode === 'POSTGRES_UNAVAILABLE')).toBe(true);
    const exit = await cli.stop();
    measured.push(`SIGTERM while PostgreSQL is down at start: exit ${exit.code} in ${exit.ms} ms`);
    expect(exit.code).toBe(0);
  });

  describe.each([
    ['PostgreSQL', 'database', 'down'],
    ['PostgreSQL', 'database', 'stall'],
    ['Redis', 'redis', 'down'],
    ['Redis', 'redis', 'stall'],
  ] as const)('SIGTERM during a %s %s', (name, which, fault) => {
    it(`${fault === 'stall' ? 'black hole' : 'outage'}: stops within the shutdown timeout plus the grace`, async () => {
      const proxy = await proxyTo(which === 'database' ? 5432 : 6379);
      const { env } = await setUp({
        products: 2,
        databaseUrl: (url) => (which === 'database' ? throughProxy(url, proxy.port) : url),
      });
      const cli = start([], {
        ...env,
        ...(which === 'redis' ? { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } : {}),
      });
      await cli.waitFor('taking jobs');
      await cli.waitFor('intake listener');
      await (fault === 'stall' ? proxy.stall() : proxy.down());
      const exit = await cli.stop();
      measured.push(
        `SIGTERM during a ${name} ${fault === 'stall' ? 'black hole' : 'outage'}: exit ${exit.code} in ${exit.ms} ms`,
      );
      expect(exit.signal).toBeNull();
      expect([0, 1]).toContain(exit.code);
      // The bound: the children's deadline and kill grace, then at most the exit grace for abandoned sockets.
      expect(exit.ms).toBeLessThan(STOP_BOUND_MS + 2_000);
    });
  });
});

/** A copy of the tiny dev model that a test may break. */
async function copyModel(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifecycle-model-'));
  const copy = async (from: string, to: string): Promise<void> => {
    await mkdir(to, { recursive: true });
    for (const name of await readdir(from)) {
      const source = join(from, name);
      if ((await stat(source)).isDirectory()) await copy(source, join(to, name));
      else await copyFile(source, join(to, name));
    }
  };
  await copy(DEV_TINY_MODEL_DIR, dir);
  return dir;
}

async function queueKeys(prefix: string): Promise<string[]> {
  const connection = await connectForCommand(TEST_REDIS_URL);
  try {
    return await connection.keys(`${prefix}:*`);
  } finally {
    await connection.quit();
  }
}

async function failedJobs(prefix: string): Promise<number> {
  const connection = await connectForCommand(TEST_REDIS_URL);
  try {
    return await connection.zcard(`${prefix}:embed:failed`);
  } finally {
    await connection.quit();
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  const keys = await queueKeys(prefix);
  if (keys.length === 0) return;
  const connection = await connectForCommand(TEST_REDIS_URL);
  try {
    await connection.del(...keys);
  } finally {
    await connection.quit();
  }
}
