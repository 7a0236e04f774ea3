import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ResolvedModel } from '@vectorizer/embedder';
import { createEmbedQueue, createWorkerConnection, enqueueProducts, type EmbedQueue } from '@vectorizer/queue';
import { ProductsRepository } from '@vectorizer/store';
import { DEV_TINY_MODEL_DIR, TEST_REDIS_URL, uniquePrefix, type TestDatabase } from '@vectorizer/testing';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import sharp from 'sharp';
import { eventually, openWorkerTestbed, REPO, spawnWorker, type WorkerTestbed } from './test-support/worker-harness';

const MiB = 1024 * 1024;
// 40 MP, as a camera writes them.
const WIDTH = 7300;
const HEIGHT = 5480;
const DECODE_BUDGET_MB = 256;
const CONCURRENCY = 8;
const JOBS = 16;

/** Peak and current resident set of a process, from /proc (bytes). */
async function residentSet(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { peak: field('VmHWM'), now: field('VmRSS') };
}

/**
 * A worker holding 8 jobs of 40 MP CMYK and RGBA images at once (each one's decode holds a full
 * frame: ~170–320 MB) must stay under the documented bound: its idle RSS + the decode budget
 * (WORKER_DECODE_MEMORY_MB; one image above it decodes alone) + the downloads in hand
 * (concurrency × file size) + libvips' 50 MB cache + 128 MB allocator slack. Without the budget
 * eight such decodes at once would need about 2 GB.
 */
describe('worker memory across 40 MP CMYK and RGBA images', () => {
  let testbed: WorkerTestbed;
  let model: ResolvedModel;
  let db: TestDatabase;
  let pool: pg.Pool;
  let connection: Redis;
  let queue: EmbedQueue;
  let server: Server;
  let origin: string;
  const files: Buffer[] = [];

  beforeAll(async () => {
    testbed = await openWorkerTestbed('worker_memory');
    ({ model, db, pool } = testbed);
    // Smooth content keeps the files small (the pixels, not the bytes, are what decoding holds).
    const scene = sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: 180, g: 90, b: 40 } },
    }).resize(WIDTH, HEIGHT, { kernel: 'linear' });
    files.push(await scene.clone().toColourspace('cmyk').jpeg({ quality: 80 }).toBuffer());
    files.push(await scene.clone().ensureAlpha(0.5).png({ compressionLevel: 9 }).toBuffer());
    server = createServer((request, response) => {
      const index = Number(/\/img\/(\d+)/.exec(request.url ?? '')?.[1] ?? 0);
      const body = files[index % files.length] as Buffer;
      response.writeHead(200, { 'content-type': index % 2 === 0 ? 'image/jpeg' : 'image/png' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await testbed?.close();
  });

  it('stays under the documented bound while it holds 8 of them', async () => {
    const prefix = uniquePrefix('worker-memory');
    connection = createWorkerConnection(TEST_REDIS_URL);
    queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 1, backoffMs: 20 } });
    try {
      const worker = spawnWorker({
        REDIS_URL: TEST_REDIS_URL,
        DATABASE_URL: db.url,
        QUEUE_PREFIX: prefix,
        MODEL_DIR: DEV_TINY_MODEL_DIR,
        VECTORIZER_DEVICE: 'cpu',
        BATCH_SIZE: '4',
        WORKER_CONCURRENCY: String(CONCURRENCY),
        INFERENCE_THREADS: '1',
        IMAGE_ALLOW_PRIVATE_NETWORKS: 'true',
        IMAGE_MAX_PIXELS: String(WIDTH * HEIGHT),
        IMAGE_DECODE_TIMEOUT_MS: '120000',
        WORKER_DECODE_MEMORY_MB: String(DECODE_BUDGET_MB),
        WORKER_HEALTH_FILE: join(REPO, 'tmp', `worker-memory-${process.pid}.json`),
        WORKER_ID: 'memory-worker',
      });
      await eventually(async () => worker.output().includes('taking jobs'), 'worker ready', 60_000);
      const pid = worker.child.pid as number;
      const idle = (await residentSet(pid)).now;

      const items = Array.from({ length: JOBS }, (_, i) => ({ id: `m${i}`, imageUrl: `${origin}/img/${i}` }));
      await new ProductsRepository(pool).upsertMany(items);
      await enqueueProducts({ queue, connection }, items, model.id);
      const embedded = async () =>
        Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM product_embeddings')).rows[0]?.n);
      await eventually(async () => (await embedded()) === JOBS, `${JOBS} embedded`, 170_000);
      const { peak } = await residentSet(pid);
      worker.child.kill('SIGTERM');
      await worker.exited;

      const largestFile = Math.max(...files.map((file) => file.length));
      const bound = idle + DECODE_BUDGET_MB * MiB + CONCURRENCY * largestFile + 50 * MiB + 128 * MiB;
      console.log(
        `worker RSS: idle ${Math.round(idle / MiB)} MB, peak ${Math.round(peak / MiB)} MB, bound ${Math.round(bound / MiB)} MB ` +
          `(budget ${DECODE_BUDGET_MB} MB, ${CONCURRENCY} jobs in hand, files up to ${Math.round(largestFile / MiB)} MB)`,
      );
      expect(await queue.getFailedCount()).toBe(0);
      expect(peak).toBeLessThan(bound);
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await connection.quit();
    }
  }, 240_000);
});
