/*
 * `node --import tsx bench/intake.ts [--products N] [--window W] [--quick] [--with-ann-index]`: Postgres-driven intake
 * against a fresh database and a private redis-server.
 *
 * 1. Latency: with the intake watch leading, single products are INSERTed by plain SQL one at a
 *    time; each sample is the time from COMMIT returning to its job existing in Redis.
 * 2. The queue window: N products are loaded by plain SQL (100k rows a statement, as a foreign
 *    loader would) while simulated workers drain the queue: they complete jobs without inference,
 *    writing a 4-dimension vector per product in batches, so the reconcile loop must top the queue
 *    up until every product is embedded. Redis `used_memory` is sampled every 100 ms: its peak
 *    must stay under the window's bound: baseline + (QUEUE_WINDOW + kept completed jobs) × 1,068 B
 *    (the measured cost of one job) + BullMQ's event stream (capped at 10,000 entries; its size is
 *    measured at the end with MEMORY USAGE). Also checks every product was processed exactly once.
 *    The bound does not grow with N: only the run time does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { createLogger } from '@vectorizer/logger';
import { startIntakeWatch } from '@vectorizer/intake';
import { connectForCommand, createEmbedQueue, createWorkerConnection, EMBED_QUEUE, jobIdFor } from '@vectorizer/queue';
import { createPool, EmbeddingsRepository, modelIndexName, runMigrations } from '@vectorizer/store';
import { createTestDatabase, startRedisServer, uniquePrefix } from '@vectorizer/testing';
import type { EmbeddingRow } from '@vectorizer/store';
import { argValue, BenchFigures } from '../libs/embedder/bench/support/bench-json';
import { percentile } from './support/latency';

const MODEL = 'bench/model';
/**
 * Redis bytes per pending job of this bench's payloads: 1,068 B was measured by bench:ingest (its
 * shorter URLs); here (27.5 − 1.5 baseline − 1.3 event stream) MB over 21,000 jobs gave 1,176 B
 * (2026-12-02, 50k products). What shows the window works is that the peak does not grow with N.
 */
const BYTES_PER_JOB = 1_200;
const KEEP_COMPLETED = 1_000;
const LOAD_STATEMENT_ROWS = 100_000;
const logger = createLogger({ level: 'warn' });
const quick = process.argv.includes('--quick');
const productCount = Number(argValue('products') ?? (quick ? 50_000 : 1_000_000));
const windowSize = Number(argValue('window') ?? 20_000);
const latencySamples = Number(argValue('samples') ?? (quick ? 30 : 100));
const withAnnIndex = process.argv.includes('--with-ann-index');

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_intake');
  const redis = await startRedisServer();
  const pool = createPool(db.url, { max: 8 });
  const connection = await connectForCommand(redis.url);
  const prefix = uniquePrefix('bench-intake');
  const queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 3, backoffMs: 1_000 } });
  const figures = new BenchFigures('intake');
  await runMigrations(pool, { model: { id: MODEL, dimension: 4 } });
  if (!withAnnIndex) {
    // The simulated workers write a vector per product; keeping pgvector's HNSW index up to date
    // costs more than everything measured here (at 300k products it held the drain to ~800/s), and
    // it is pgvector's cost, measured by bench:search. --with-ann-index keeps it.
    await pool.query(`DROP INDEX ${modelIndexName(MODEL)}`);
  }
  const watch = startIntakeWatch({
    databaseUrl: db.url,
    pool,
    queue: { queue, connection },
    queueWindow: windowSize,
    model: MODEL,
    reconcileIntervalMs: 5_000,
    logger,
  });
  try {
    while (!watch.leading) await sleep(20);

    // 1. SQL insert → job in Redis.
    const latencies: number[] = [];
    for (let i = 0; i < latencySamples; i += 1) {
      const id = `latency-${i}`;
      const imageUrl = `https://cdn.example.com/latency/${i}.jpg`;
      const jobKey = queue.toKey(jobIdFor(id, imageUrl, MODEL));
      await pool.query('INSERT INTO products (id, image_url) VALUES ($1, $2)', [id, imageUrl]);
      const committed = process.hrtime.bigint();
      while ((await connection.exists(jobKey)) === 0) await sleep(1);
      latencies.push(Number(process.hrtime.bigint() - committed) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    const latency = { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? NaN };
    process.stdout.write(`SQL insert → job in Redis, ${latencySamples} samples: ${JSON.stringify(latency)} ms\n`);
    figures.add({ name: 'SQL insert → enqueued, p50', value: latency.p50, unit: 'ms', note: 'target ≤ 1000 ms' });
    figures.add({ name: 'SQL insert → enqueued, p95', value: latency.p95, unit: 'ms', note: 'target ≤ 1000 ms' });
    await queue.obliterate({ force: true });
    await pool.query('TRUNCATE products CASCADE');

    // 2. Load N products by SQL and drain them through the window.
    const baseline = await usedMemory(connection);
    const jobsBound = baseline + (windowSize + KEEP_COMPLETED) * BYTES_PER_JOB;
    let peak = baseline;
    let mostPending = 0;
    const sampler = setInterval(() => {
      void Promise.all([usedMemory(connection), queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active')])
        .then(([memory, counts]) => {
          peak = Math.max(peak, memory);
          mostPending = Math.max(
            mostPending,
            Object.values(counts).reduce((a, b) => a + b, 0),
          );
        })
        .catch(() => undefined);
    }, 100);
    const processed = new ProcessedCounts(productCount);
    const drain = simulatedWorkers(redis.url, prefix, new EmbeddingsRepository(pool), processed);
    const started = process.hrtime.bigint();
    for (let from = 1; from <= productCount; from += LOAD_STATEMENT_ROWS) {
      const to = Math.min(productCount, from + LOAD_STATEMENT_ROWS - 1);
      await pool.query(
        `INSERT INTO products (id, image_url, title)
         SELECT 'p' || lpad(g::text, 9, '0'), 'https://cdn.example.com/img/' || g || '.jpg', 'Product ' || g
           FROM generate_series($1::int, $2::int) AS g`,
        [from, to],
      );
    }
    const loadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(`loaded ${productCount} products by SQL in ${loadSeconds.toFixed(1)} s\n`);
    let lastReport = Date.now();
    while (processed.distinct < productCount) {
      await sleep(100);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        process.stdout.write(
          `  ${processed.distinct} / ${productCount} embedded, Redis peak ${(peak / 1e6).toFixed(1)} MB\n`,
        );
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    await drain.close();
    const eventsStream = Number((await connection.call('MEMORY', 'USAGE', queue.toKey('events'), 'SAMPLES', '0')) ?? 0);
    const bound = jobsBound + eventsStream;
    const twice = processed.twice;
    const missing = await new EmbeddingsRepository(pool).countMissing(MODEL);
    const report = {
      products: productCount,
      window: windowSize,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      loadAndDrainSeconds: Number(seconds.toFixed(1)),
      productsPerSecond: Math.round(productCount / seconds),
      redisBaselineMb: Number((baseline / 1e6).toFixed(1)),
      redisPeakMb: Number((peak / 1e6).toFixed(1)),
      redisEventStreamMb: Number((eventsStream / 1e6).toFixed(1)),
      redisBoundMb: Number((bound / 1e6).toFixed(1)),
      mostPendingJobs: mostPending,
      processedTwice: twice,
      annIndex: withAnnIndex,
      missingAfterDrain: missing,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (peak > bound || twice > 0 || missing > 0) process.exitCode = 1;
    figures.add({
      name: `Redis peak memory, ${productCount} products through a ${windowSize}-job window`,
      value: peak / 1e6,
      unit: 'MB',
      note: `bound ${(bound / 1e6).toFixed(1)} MB; without a window ≈ ${((productCount * BYTES_PER_JOB) / 1e6).toFixed(0)} MB`,
    });
    figures.add({
      name: `SQL load + drain of ${productCount} products (simulated workers, no inference)`,
      value: seconds,
      unit: 's',
      note: `${Math.round(productCount / seconds)} products/s; each processed once: ${twice === 0}`,
    });
    figures.write();
  } finally {
    await watch.stop();
    await queue.close();
    await connection.quit();
    await pool.end();
    await redis.stop();
    await db.drop();
  }
}

/** Workers that complete jobs without inference: a vector per product, written 500 rows a statement. */
function simulatedWorkers(
  redisUrl: string,
  prefix: string,
  embeddings: EmbeddingsRepository,
  processed: ProcessedCounts,
): { close(): Promise<void> } {
  let buffer: { row: EmbeddingRow; done: (error?: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return;
    embeddings.upsertMany(batch.map((item) => item.row)).then(
      () => batch.forEach((item) => item.done()),
      (error: unknown) => batch.forEach((item) => item.done(error)),
    );
  };
  const connection = createWorkerConnection(redisUrl);
  const worker = new Worker(
    EMBED_QUEUE,
    (job) =>
      new Promise<void>((resolve, reject) => {
        const { productId, imageUrl } = job.data as { productId: string; imageUrl: string };
        processed.count(productId);
        const row: EmbeddingRow = {
          productId,
          model: MODEL,
          imageUrl,
          imageSha256: 'a'.repeat(64),
          embedding: new Float32Array([Math.random(), Math.random(), Math.random(), 1]),
        };
        buffer.push({ row, done: (error) => (error ? reject(error) : resolve()) });
        if (buffer.length >= 500) flush();
        else timer ??= setTimeout(flush, 20);
      }),
    { connection, prefix, concurrency: 1_000 },
  );
  return {
    close: async () => {
      await worker.close();
      await connection.quit();
    },
  };
}

/** How often each loaded product ('p' + its 9-digit number) was processed: a byte each, so 10M fit in 10 MB. */
class ProcessedCounts {
  private readonly counts: Uint8Array;
  distinct = 0;
  twice = 0;

  constructor(products: number) {
    this.counts = new Uint8Array(products + 1);
  }

  count(productId: string): void {
    const index = Number(productId.slice(1));
    if (!/^p\d{9}$/.test(productId) || index >= this.counts.length) throw new Error(`unexpected product ${productId}`);
    const before = this.counts[index] ?? 0;
    this.counts[index] = Math.min(255, before + 1);
    if (before === 0) this.distinct += 1;
    if (before === 1) this.twice += 1;
  }
}

async function usedMemory(connection: { info(section: string): Promise<string> }): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await connection.info('memory'))?.[1] ?? 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
