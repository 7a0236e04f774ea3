import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { resolveModel, type ResolvedModel } from '@vectorizer/embedder';
import { createPool, runMigrations } from '@vectorizer/store';
import { createTestDatabase, type TestDatabase, DEV_TINY_MODEL_DIR } from '@vectorizer/testing';
import type pg from 'pg';
import sharp from 'sharp';

export const REPO = join(__dirname, '..', '..', '..', '..');
const MAIN = join(__dirname, '..', 'main.ts');

export interface WorkerChild {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts apps/worker/src/main.ts with only the given environment (plus PATH and HOME). */
export function spawnWorker(env: Record<string, string>): WorkerChild {
  const chunks: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  // 'close', not 'exit': by then the output streams are drained too.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => chunks.join(''), exited };
}

/** Serves one small PNG per path after `delayMs`, so jobs stay in flight long enough to interrupt. */
export async function startSlowImageServer(delayMs: number): Promise<{ origin: string; close(): Promise<void> }> {
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .png()
    .toBuffer();
  const server: Server = createServer((_request, response) => {
    setTimeout(() => response.writeHead(200, { 'content-type': 'image/png' }).end(png), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `check` returns true (tests wait on outcomes, never on durations). */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const DEV_TINY_DIR = DEV_TINY_MODEL_DIR;

/** The tiny dev model and a database of the test file's own, migrated for it. */
export interface WorkerTestbed {
  model: ResolvedModel;
  db: TestDatabase;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function openWorkerTestbed(name: string): Promise<WorkerTestbed> {
  await ensureDevModel({ dir: DEV_TINY_DIR, size: 'tiny' });
  const model = await resolveModel({ modelDir: DEV_TINY_DIR, dtype: 'fp32', devModelSize: 'tiny' });
  const db = await createTestDatabase(name);
  const pool = createPool(db.url, { max: 2 });
  await runMigrations(pool, { dimension: model.dimension });
  return {
    model,
    db,
    pool,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}
