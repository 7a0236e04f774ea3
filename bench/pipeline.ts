/*
 * `npm run bench:pipeline [-- --base-products N --rounds R --tiny-products M --only base|tiny|reuse --quick --threads N --json FILE]`:
 * end-to-end throughput of the worker pipeline (queue → fetch → decode → batch → ONNX → pgvector)
 * with a worker's default thread plan (no INFERENCE_THREADS), against ceilings measured in the
 * same run, on a fresh database, a private redis-server and a local image server:
 *   - `base` dev model (SigLIP-base shapes): products/s vs raw onnxruntime-node (InferenceSession
 *     directly) at its best intra-op threads and batch size for this machine, found by a sweep, and
 *     measured again after each of R rounds (3) so that each round has a ceiling beside it; the
 *     median round. Inference dominates; target ratio ≥ 0.95.
 *   - `tiny` dev model: products/s vs fetch + decode alone at the same concurrency. Image work
 *     dominates; target ratio ≥ 0.80.
 *   - `reuse`: a catalog of 300 products showing 30 distinct pictures (10× duplicated images, the
 *     base dev model): images run through the model with the worker's reuse of identical bytes, vs
 *     the same pictures served as distinct bytes (what every product costs without reuse).
 * Every product's image is served as distinct bytes (a JPEG comment naming the product) unless the
 * reuse run asks for shared ones, so the throughput runs measure inference, not reuse.
 * --threads N replaces the plan's ORT threads (to compare splits between inference and decoding).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CPU_BATCH_SIZE, concurrencyFor, type ThreadPlan } from '@vectorizer/devices';
import { ensureDevModel } from '@vectorizer/dev-model';
import { Embedder, resolveModel, type ResolvedModel } from '@vectorizer/embedder';
import { ImageFetcher, planPreprocess, preprocessImage, type DecodeLimits } from '@vectorizer/images';
import { createLogger } from '@vectorizer/logger';
import { EmbedWorker, type PixelEmbedder } from '@vectorizer/pipeline';
import { createEmbedQueue, createWorkerConnection, enqueueProducts } from '@vectorizer/queue';
import { EmbeddingsRepository, ProductsRepository, createPool, runMigrations } from '@vectorizer/store';
import { createPipelineMetrics, createRegistry } from '@vectorizer/telemetry';
import { createTestDatabase, startRedisServer, uniquePrefix } from '@vectorizer/testing';
import { applyWorkerThreadPlan, describeThreadPlan } from '../libs/embedder/bench/support/apply-thread-plan';
import { argValue, BenchFigures } from '../libs/embedder/bench/support/bench-json';
import {
  allThreadCounts,
  describeSetting,
  measureRawOrt,
  sweepRawOrt,
} from '../libs/embedder/bench/support/raw-ort-sweep';

const ROOT = join(__dirname, '..');
const DISTINCT_IMAGES = 64;
const IMAGE_SIDE = 400;
const DECODE_LIMITS: DecodeLimits = { maxBytes: 10_000_000, maxPixels: 50_000_000, timeoutMs: 15_000 };
const logger = createLogger({ level: 'warn' });
const quick = process.argv.includes('--quick');
const figures = new BenchFigures('pipeline');

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} expects a positive whole number`);
  return value;
}

/** The JPEG with a comment segment (FF FE) after its start marker: other bytes, same pixels. */
function withComment(jpeg: Buffer, comment: string): Buffer {
  const text = Buffer.from(comment, 'latin1');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, text, jpeg.subarray(2)]);
}

interface ImageServer {
  /** Product `product`'s photo (one of DISTINCT_IMAGES pictures), as bytes no other product has. */
  urlFor(product: number): string;
  /** Picture `picture` under product `product`'s own URL, as the same bytes for every product. */
  sharedUrlFor(picture: number, product: number): string;
  /** Picture `picture` under product `product`'s own URL, as bytes no other product has. */
  uniqueUrlFor(picture: number, product: number): string;
  close(): Promise<void>;
}

/** Product-photo-like JPEGs (smooth gradients, some texture), served from memory. */
async function startImageServer(): Promise<ImageServer> {
  const images = await Promise.all(
    Array.from({ length: DISTINCT_IMAGES }, (_, n) => {
      const pixels = Buffer.alloc(IMAGE_SIDE * IMAGE_SIDE * 3);
      for (let y = 0; y < IMAGE_SIDE; y += 1) {
        for (let x = 0; x < IMAGE_SIDE; x += 1) {
          const i = (y * IMAGE_SIDE + x) * 3;
          pixels[i] = (x + n * 7) & 255;
          pixels[i + 1] = (y * 2 + n * 13) & 255;
          pixels[i + 2] = ((x ^ y) + n * 29) & 255;
        }
      }
      return sharp(pixels, { raw: { width: IMAGE_SIDE, height: IMAGE_SIDE, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer();
    }),
  );
  // /img/<picture>/<product>.jpg: unique bytes; /shared/<picture>/<product>.jpg: the picture's own bytes.
  const server: Server = createServer((request, response) => {
    const [, kind, picture, file] = new URL(request.url ?? '/', 'http://x').pathname.split('/');
    const image = images[Number.parseInt(picture ?? '0', 10) % DISTINCT_IMAGES] as Buffer;
    const body = kind === 'shared' ? image : withComment(image, `product ${file ?? ''}`);
    response.writeHead(200, { 'content-type': 'image/jpeg' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    urlFor: (product) => `${origin}/img/${product}/${product}.jpg`,
    sharedUrlFor: (picture, product) => `${origin}/shared/${picture}/${product}.jpg`,
    uniqueUrlFor: (picture, product) => `${origin}/img/${picture}/${product}.jpg`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function newFetcher(concurrency: number): ImageFetcher {
  return new ImageFetcher({
    connectTimeoutMs: 5_000,
    headersTimeoutMs: 15_000,
    bodyTimeoutMs: 30_000,
    maxBytes: DECODE_LIMITS.maxBytes,
    maxRedirects: 0,
    perHostConcurrency: concurrency,
    allowPrivateNetworks: true,
    userAgent: 'vectorizer-bench',
  });
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** Runs `work` over `count` items with at most `concurrency` at once. */
async function pooled(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** One decoded image of the benchmark's photos, as the model's input. */
async function oneImage(model: ResolvedModel, urlFor: (i: number) => string): Promise<Float32Array> {
  const fetcher = newFetcher(1);
  const pixels = await preprocessImage((await fetcher.fetch(urlFor(0))).bytes, model.preprocessor, DECODE_LIMITS);
  await fetcher.close();
  return pixels;
}

/** Decode-only ceiling: products/s of fetch + preprocess alone at the worker's concurrency. */
async function decodeCeiling(
  model: ResolvedModel,
  products: number,
  concurrency: number,
  urlFor: (i: number) => string,
): Promise<number> {
  const fetcher = newFetcher(concurrency);
  const started = process.hrtime.bigint();
  await pooled(products, concurrency, async (i) => {
    await preprocessImage((await fetcher.fetch(urlFor(i))).bytes, model.preprocessor, DECODE_LIMITS);
  });
  const rate = products / seconds(started);
  await fetcher.close();
  return rate;
}

interface Services {
  databaseUrl: string;
  redisUrl: string;
}

const RUN_SCHEMA = 'bench_pipeline_run';

/**
 * End to end: products enqueued up front, then one EmbedWorker drains them. Returns products/s over
 * the whole run, and in steady state: from the first full batch's completion to the last, so the
 * pipeline filling up (the first batch fetched and decoded before any inference) is not counted.
 */
async function endToEnd(
  services: Services,
  model: ResolvedModel,
  embedder: Embedder,
  products: number,
  concurrency: number,
  urlFor: (i: number) => string,
): Promise<{ rate: number; steadyRate: number; inferred: number }> {
  // A clean schema for every run (the bench's own database): every migration, whatever it creates, applies afresh.
  const admin = createPool(services.databaseUrl, { max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS ${RUN_SCHEMA} CASCADE; CREATE SCHEMA ${RUN_SCHEMA}`);
  await admin.end();
  const pool = createPool(services.databaseUrl, { max: 4, schema: RUN_SCHEMA });
  await runMigrations(pool, { model });
  const items = Array.from({ length: products }, (_, i) => ({ id: `b${i}`, imageUrl: urlFor(i) }));
  await new ProductsRepository(pool).upsertMany(items);
  const prefix = uniquePrefix('bench-pipeline');
  const connection = createWorkerConnection(services.redisUrl);
  const queue = createEmbedQueue({ connection, prefix, retryPolicy: { attempts: 3, backoffMs: 100 } });
  await enqueueProducts({ queue, connection }, items, model.id);
  const metrics = createPipelineMetrics(createRegistry());
  const fetcher = newFetcher(concurrency);
  const workerConnection = createWorkerConnection(services.redisUrl);
  let inferred = 0;
  const counting: PixelEmbedder = {
    modelId: embedder.modelId,
    dimension: embedder.dimension,
    embedRgb: (images) => {
      inferred += images.length;
      return embedder.embedRgb(images);
    },
  };
  const worker = new EmbedWorker({
    connection: workerConnection,
    prefix,
    concurrency,
    batch: { maxBatchSize: embedder.maxBatchSize, maxWaitMs: 25 },
    lockDurationMs: 120_000,
    stalledIntervalMs: 30_000,
    embedder: counting,
    preprocessor: model.preprocessor,
    decodeLimits: DECODE_LIMITS,
    preprocess: planPreprocess,
    decodeMemoryBudgetBytes: 512 * 1024 * 1024,
    fetcher,
    embeddings: new EmbeddingsRepository(pool),
    probes: {
      postgres: async () => void (await pool.query('SELECT 1')),
      redis: async () => void (await connection.ping()),
    },
    metrics,
    logger,
  });
  const started = process.hrtime.bigint();
  let firstBatch: { at: bigint; done: number } | undefined;
  worker.start();
  for (;;) {
    const done = (await metrics.jobsCompleted.get()).values[0]?.value ?? 0;
    const failed = (await metrics.jobsFailed.get()).values.reduce((sum, v) => sum + v.value, 0);
    if (failed > 0) throw new Error(`${failed} job(s) failed during the benchmark`);
    if (!firstBatch && done >= embedder.maxBatchSize) firstBatch = { at: process.hrtime.bigint(), done };
    if (done >= products) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const rate = products / seconds(started);
  if (firstBatch)
    console.log(
      `      first ${firstBatch.done} products done ${(Number(firstBatch.at - started) / 1e6).toFixed(0)} ms after the worker started`,
    );
  const steadyRate = firstBatch ? (products - firstBatch.done) / seconds(firstBatch.at) : rate;
  await worker.close(30_000);
  const embedded = await new EmbeddingsRepository(pool).countEmbedded(model.id);
  if (embedded !== products) throw new Error(`expected ${products} embeddings, found ${embedded}`);
  await Promise.allSettled([fetcher.close(), queue.obliterate({ force: true })]);
  await queue.close();
  await Promise.all([connection.quit(), workerConnection.quit()]);
  await pool.end();
  return { rate, steadyRate, inferred };
}

async function loadModel(
  size: 'tiny' | 'base',
  batchSize: number,
  threads: ThreadPlan,
): Promise<{ model: ResolvedModel; embedder: Embedder }> {
  const dir = join(ROOT, 'tmp', 'models', `dev-${size}`);
  await ensureDevModel({ dir, size });
  const model = await resolveModel({ modelDir: dir, dtype: 'fp32', devModelSize: size });
  const embedder = await Embedder.start({
    model,
    device: 'cpu',
    allowCpuFallback: false,
    maxBatchSize: batchSize,
    threads: threads.inferenceThreads,
    logger,
  });
  return { model, embedder };
}

const ratioLine = (label: string, rate: number, ceiling: number, target: number, ceilingName: string): string => {
  const ratio = rate / ceiling;
  return `${label}: ${rate.toFixed(2)} products/s end to end, ${ceilingName} ${ceiling.toFixed(2)}/s → ratio ${ratio.toFixed(3)} (target ≥ ${target}) ${ratio >= target ? 'OK' : 'BELOW TARGET'}`;
};

/** base: inference-bound; the ceiling is raw onnxruntime-node at its best settings for this machine. */
async function benchBase(
  services: Services,
  products: number,
  roundCount: number,
  urlFor: (i: number) => string,
  threads: ThreadPlan,
): Promise<void> {
  const { model, embedder } = await loadModel('base', argument('--batch', CPU_BATCH_SIZE), threads);
  const concurrency = concurrencyFor(embedder.maxBatchSize);
  const { height, width } = model.preprocessor.size;
  const raw = { modelPath: model.visionModelPath, image: await oneImage(model, urlFor), height, width };
  const minSeconds = quick ? 2 : 4;
  // The sweep runs while our embedder's session is idle (loaded, not running), so both see one machine.
  const sweep = await sweepRawOrt({
    ...raw,
    batchSizes: quick ? [8, 16] : [4, 8, 16, 32],
    threadCounts: allThreadCounts(),
    minSeconds,
    onResult: (r) => console.log(`  raw ORT ${describeSetting(r).padEnd(52)} ${r.imagesPerSecond.toFixed(2)} img/s`),
  });
  console.log(`raw ORT best: ${describeSetting(sweep.best)} → ${sweep.best.imagesPerSecond.toFixed(2)} img/s`);
  // Rounds of end to end, each between two measurements of the raw best: a round's ceiling is the
  // mean of the two beside it, and the figure is the median round. This shared VM's speed drifts
  // by up to 10% within a minute, as much as the margin under test.
  const ceilings = [sweep.best.imagesPerSecond];
  const rounds: { rate: number; steadyRate: number; ceiling: number }[] = [];
  for (let round = 0; round < roundCount; round += 1) {
    const { rate, steadyRate } = await endToEnd(services, model, embedder, products, concurrency, urlFor);
    ceilings.push((await measureRawOrt({ ...raw, minSeconds }, sweep.best)).imagesPerSecond);
    rounds.push({ rate, steadyRate, ceiling: ((ceilings[round] as number) + (ceilings[round + 1] as number)) / 2 });
  }
  await embedder.close();
  const medianRound = (ratioOf: (r: (typeof rounds)[number]) => number) =>
    [...rounds].sort((a, b) => ratioOf(a) - ratioOf(b))[Math.floor(rounds.length / 2)] as (typeof rounds)[number];
  const whole = medianRound((r) => r.rate / r.ceiling);
  const steady = medianRound((r) => r.steadyRate / r.ceiling);
  const roundList = (ratioOf: (r: (typeof rounds)[number]) => number) =>
    rounds.map((r) => ratioOf(r).toFixed(3)).join(' / ');
  console.log(
    ratioLine(
      `base (${products} products, median of ${roundCount} rounds)`,
      whole.rate,
      whole.ceiling,
      0.95,
      'raw ORT best',
    ),
  );
  console.log(`      rounds: ${roundList((r) => r.rate / r.ceiling)}`);
  console.log(
    ratioLine(`base steady state (after the first batch)`, steady.steadyRate, steady.ceiling, 0.95, 'raw ORT best'),
  );
  console.log(`      rounds: ${roundList((r) => r.steadyRate / r.ceiling)}`);
  console.log(
    `      raw ORT best beside the rounds ${ceilings.map((c) => c.toFixed(2)).join(' / ')} img/s; ours: ${threads.inferenceThreads} ORT thread(s), batch ${embedder.maxBatchSize}, concurrency ${concurrency}`,
  );
  const ceilingName = `raw ORT best: ${describeSetting(sweep.best)}, mean of the measurements before and after the round`;
  figures.add({
    name: 'raw ORT best img/s (base, CPU)',
    value: whole.ceiling,
    unit: 'img/s',
    note: `${describeSetting(sweep.best)} (sweep of ${sweep.results.length} settings)`,
  });
  figures.add({
    name: `pipeline end to end, base model, ${IMAGE_SIDE}px JPEGs`,
    value: whole.rate,
    unit: 'products/s',
    ceiling: whole.ceiling,
    ceilingName,
    note: `median of ${roundCount} rounds of ${products} products (ratios ${roundList((r) => r.rate / r.ceiling)}); defaults: ${threads.inferenceThreads} ORT thread(s), batch ${embedder.maxBatchSize}; includes filling the pipeline (first batch fetched and decoded before any inference)`,
  });
  figures.add({
    name: `pipeline steady state, base model, ${IMAGE_SIDE}px JPEGs`,
    value: steady.steadyRate,
    unit: 'products/s',
    ceiling: steady.ceiling,
    ceilingName,
    note: `median of ${roundCount} rounds (ratios ${roundList((r) => r.steadyRate / r.ceiling)}); from the first batch's completion to the last job (the ceiling is steady state too); target ≥ 0.95`,
  });
}

/** tiny: image-bound; the ceiling is fetch + decode alone at the same concurrency. */
async function benchTiny(
  services: Services,
  products: number,
  urlFor: (i: number) => string,
  threads: ThreadPlan,
): Promise<void> {
  const { model, embedder } = await loadModel('tiny', 32, threads);
  const concurrency = concurrencyFor(embedder.maxBatchSize);
  const ceiling = await decodeCeiling(model, products, concurrency, urlFor);
  const { rate } = await endToEnd(services, model, embedder, products, concurrency, urlFor);
  await embedder.close();
  console.log(ratioLine(`tiny (${products} products)`, rate, ceiling, 0.8, 'fetch+decode ceiling'));
  figures.add({
    name: `pipeline end to end, tiny model, ${IMAGE_SIDE}px JPEGs`,
    value: rate,
    unit: 'products/s',
    ceiling,
    ceilingName: 'fetch + decode alone, same concurrency',
    note: 'image-bound; target ≥ 0.80',
  });
}

/** reuse: 10× duplicated images; images through the model with reuse vs the same pictures as distinct bytes. */
async function benchReuse(services: Services, images: ImageServer, threads: ThreadPlan): Promise<void> {
  const products = 300;
  const pictures = 30;
  // The base model: what reuse saves is inference, so the model must cost what a real one does.
  const { model, embedder } = await loadModel('base', CPU_BATCH_SIZE, threads);
  const concurrency = concurrencyFor(embedder.maxBatchSize);
  const run = (count: number, urlFor: (i: number) => string) =>
    endToEnd(services, model, embedder, count, concurrency, urlFor);
  // A short first run warms the caches and the JIT (the embedder's start warmed the model).
  await run(2 * pictures, (i) => images.uniqueUrlFor(i % pictures, i));
  const shared = await run(products, (i) => images.sharedUrlFor(i % pictures, i));
  const unique = await run(products, (i) => images.uniqueUrlFor(i % pictures, i));
  await embedder.close();
  const saved = unique.inferred - shared.inferred;
  console.log(
    `reuse (${products} products, ${pictures} distinct pictures): ${shared.inferred} images through the model ` +
      `(${unique.inferred} as distinct bytes): ${saved} inference runs saved; ` +
      `${shared.rate.toFixed(1)} products/s vs ${unique.rate.toFixed(1)} products/s`,
  );
  figures.add({
    name: `images through the model, ${products} products showing ${pictures} pictures (10× duplicated)`,
    value: shared.inferred,
    unit: 'images',
    ceiling: unique.inferred,
    ceilingName: 'the same pictures as distinct bytes (no reuse possible)',
    note: `${saved} inference runs saved; the ideal is ${pictures}`,
  });
  figures.add({
    name: `pipeline end to end with 10× duplicated images, base model`,
    value: shared.rate,
    unit: 'products/s',
    ceiling: unique.rate,
    ceilingName: 'the same pictures as distinct bytes',
    note: 'what reuse buys end to end (every product is still fetched and decoded)',
  });
}

async function main(): Promise<void> {
  const planned = applyWorkerThreadPlan('cpu');
  const threadsArg = argValue('threads');
  const threads = threadsArg === undefined ? planned : { ...planned, inferenceThreads: Number(threadsArg) };
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  if (only !== undefined && only !== 'base' && only !== 'tiny' && only !== 'reuse')
    throw new Error('--only expects base, tiny or reuse');
  const images = await startImageServer();
  const redis = await startRedisServer();
  const database = await createTestDatabase('bench_pipeline');
  const services = { databaseUrl: database.url, redisUrl: redis.url };
  try {
    console.log(`bench:pipeline (${IMAGE_SIDE}x${IMAGE_SIDE} JPEGs, CPU, ${os.availableParallelism()} cores)`);
    console.log(`thread plan: ${describeThreadPlan(threads)}${threadsArg === undefined ? '' : ' (--threads)'}`);
    if (only === undefined || only === 'base')
      await benchBase(
        services,
        argument('--base-products', quick ? 128 : 240),
        argument('--rounds', 3),
        images.urlFor,
        threads,
      );
    if (only === undefined || only === 'tiny')
      await benchTiny(services, argument('--tiny-products', quick ? 500 : 1_500), images.urlFor, threads);
    if (only === undefined || only === 'reuse') await benchReuse(services, images, threads);
    figures.write();
  } finally {
    await images.close();
    await redis.stop();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
