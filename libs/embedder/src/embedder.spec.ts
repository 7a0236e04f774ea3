import { rm, truncate, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { ChwNormalizer, preprocessImage, type DecodeLimits } from '@vectorizer/images';
import { createLogger } from '@vectorizer/logger';
import { Embedder, type EmbedderStartOptions } from './embedder';
import { writeManifest } from './test-support/write-manifest';
import { resolveModel, type ResolvedModel } from './model/resolve-model';
import { externalizeWeights } from './test-support/externalize-weights';
import { copyTinyModel, ensureTinyModel, TINY_MODEL_DIR } from './test-support/tiny-model';

function capturingLogger() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { logger: createLogger({ destination: stream, format: 'json', level: 'debug' }), lines };
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

function randomImage(seed: number, length = 3 * 32 * 32): Float32Array {
  const values = new Float32Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    values[i] = (state / 2147483648) * 2 - 1;
  }
  return values;
}

async function startOn(model: ResolvedModel, overrides: Partial<EmbedderStartOptions> = {}) {
  const { logger, lines } = capturingLogger();
  const embedder = await Embedder.start({
    model,
    device: 'cpu',
    allowCpuFallback: false,
    maxBatchSize: 4,
    threads: 1,
    logger,
    ...overrides,
  });
  return { embedder, lines };
}

const LIMITS: DecodeLimits = { maxBytes: 1_000_000, maxPixels: 1_000_000, timeoutMs: 10_000 };
const resolveDir = (dir: string) => resolveModel({ modelDir: dir, dtype: 'fp32', devModelSize: 'tiny' });

describe('Embedder on the tiny dev model', () => {
  let model: ResolvedModel;
  let embedder: Embedder;
  let lines: Record<string, unknown>[];

  beforeAll(async () => {
    await ensureTinyModel();
    model = await resolveDir(TINY_MODEL_DIR);
    ({ embedder, lines } = await startOn(model));
  });
  afterAll(() => embedder.close());

  it('reports model, dimension, provider and batch size after the warm-up', () => {
    expect(embedder).toMatchObject({ modelId: model.id, dimension: 64, provider: 'cpu', maxBatchSize: 4 });
    const ready = lines.find((line) => String(line.msg).startsWith('embedder ready'));
    expect(ready).toMatchObject({ model: model.id, dimension: 64, provider: 'cpu', batchSize: 4 });
    expect(typeof ready?.msPerBatch).toBe('number');
  });

  it('returns one L2-normalized embedding per image, deterministic and order-preserving', async () => {
    const images = [randomImage(1), randomImage(2), randomImage(3), randomImage(4), randomImage(5), randomImage(6)];
    const together = await embedder.embedPixels(images.map((image) => image.slice()));
    expect(together).toHaveLength(6);
    for (const embedding of together) {
      expect(embedding).toHaveLength(64);
      expect(norm(embedding)).toBeCloseTo(1, 5);
    }
    const alone = await embedder.embedPixels([images[4].slice()]);
    expect(dot(alone[0], together[4])).toBeCloseTo(1, 5);
    expect(dot(together[0], together[1])).toBeLessThan(0.9999);
  });

  it('queues concurrent callers on the one session and gives each its own results', async () => {
    const inputs = [11, 12, 13, 14, 15].map((seed) => randomImage(seed));
    const expected = await Promise.all(inputs.map((image) => embedder.embedPixels([image.slice()])));
    const concurrent = await Promise.all(inputs.map((image) => embedder.embedPixels([image.slice(), randomImage(99)])));
    concurrent.forEach(([first], i) => expect(dot(first, expected[i][0])).toBeCloseTo(1, 5));
  });

  it('keeps the event loop free while a batch runs in the session thread', async () => {
    // ONE run of 1 000 images (~0.25 s on one core): an ORT run on this thread would hold it the
    // whole time (measured: one interval tick in 0.46 s for 2 000 images), so ticks prove it is elsewhere.
    const big = await startOn(model, { maxBatchSize: 1_000 });
    try {
      const batch = Array.from({ length: 1_000 }, (_, i) => randomImage(i));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      await big.embedder.embedPixels(batch);
      clearInterval(timer);
      expect(big.embedder.maxBatchSize).toBe(1_000);
      expect(ticks).toBeGreaterThan(5);
    } finally {
      await big.embedder.close();
    }
  });

  it('embeds encoded images through @vectorizer/images preprocessing', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 40 } } })
      .png()
      .toBuffer();
    const [fromBytes] = await embedder.embedImages([png]);
    expect(fromBytes).toHaveLength(64);
    expect(norm(fromBytes)).toBeCloseTo(1, 5);
    const [fromTensor] = await embedder.embedPixels([await preprocessImage(png, model.preprocessor, LIMITS)]);
    expect(fromBytes).toEqual(fromTensor);
  });

  it("normalizes RGB bytes into the batch input exactly as the model's preprocessing defines, across batches", async () => {
    // 7 images at batch limit 4: the second batch is partial and refills a buffer that held the first.
    const images = Array.from({ length: 7 }, (_, seed) =>
      new Uint8Array(3 * 32 * 32).map((_, i) => (i * 37 + seed * 101 + ((i * i) >> 3)) & 255),
    );
    const fromRgb = await embedder.embedRgb(images);
    const normalizer = new ChwNormalizer(model.preprocessor);
    const fromTensors = await embedder.embedPixels(
      images.map((rgb) => {
        const tensor = new Float32Array(3 * 32 * 32);
        normalizer.write(rgb, 32 * 32, tensor);
        return tensor;
      }),
    );
    expect(fromRgb).toHaveLength(7);
    fromRgb.forEach((vector, i) => expect(vector).toEqual(fromTensors[i]));
    expect(dot(fromRgb[0], fromRgb[1])).toBeLessThan(0.9999);
  });

  it('embeds text queries with the lazily loaded text tower', async () => {
    const [shoe, shoeAgain, lamp] = await embedder.embedTexts(['a red shoe', 'a red shoe', 'a desk lamp']);
    expect(shoe).toHaveLength(64);
    expect(norm(shoe)).toBeCloseTo(1, 5);
    expect(dot(shoe, shoeAgain)).toBeCloseTo(1, 5);
    expect(dot(shoe, lamp)).toBeLessThan(0.9999);
  });

  it('rejects pixels of the wrong size with INPUT_SHAPE_MISMATCH', async () => {
    await expect(embedder.embedPixels([new Float32Array(3 * 16 * 16)])).rejects.toMatchObject({
      code: 'INPUT_SHAPE_MISMATCH',
    });
    await expect(embedder.embedRgb([new Uint8Array(3 * 32 * 32), new Uint8Array(4 * 32 * 32)])).rejects.toMatchObject({
      code: 'INPUT_SHAPE_MISMATCH',
      message: 'Image 1 has 4096 RGB bytes; this model takes 3x32x32 = 3072',
    });
  });
});

describe('Embedder start-up', () => {
  beforeAll(() => ensureTinyModel());

  it('refuses CUDA when the CUDA provider is not installed, naming what is missing', async () => {
    const model = await resolveDir(TINY_MODEL_DIR);
    await expect(startOn(model, { device: 'cuda:0' })).rejects.toMatchObject({
      code: 'CUDA_PROVIDER_UNAVAILABLE',
      message: expect.stringContaining('libonnxruntime_providers_cuda.so'),
      hint: expect.stringContaining('ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci'),
    });
  });

  it('runs on CPU with a warning when CUDA is missing and fallback is allowed', async () => {
    const model = await resolveDir(TINY_MODEL_DIR);
    const { embedder, lines } = await startOn(model, { device: 'cuda', allowCpuFallback: true });
    try {
      expect(embedder.provider).toBe('cpu');
      expect(lines.find((line) => line.level === 'warn')?.msg).toContain(
        'running on CPU because ALLOW_CPU_FALLBACK=true',
      );
      expect(await embedder.embedPixels([randomImage(1)])).toHaveLength(1);
    } finally {
      await embedder.close();
    }
  });

  it('halves the batch on allocation failures and remembers the size that fits', async () => {
    const model = await resolveDir(TINY_MODEL_DIR);
    const { embedder, lines } = await startOn(model, { maxBatchSize: 16, testHooks: { failAllocationAboveBatch: 3 } });
    try {
      expect(embedder.maxBatchSize).toBe(2);
      expect(
        lines.filter((line) => String(line.msg).includes('ran out of memory')).map((line) => line.failedBatchSize),
      ).toEqual([16, 8, 4]);
      const results = await embedder.embedPixels(Array.from({ length: 5 }, (_, i) => randomImage(i)));
      expect(results).toHaveLength(5);
    } finally {
      await embedder.close();
    }
  });

  it('fails with INFERENCE_OUT_OF_MEMORY when not even one image fits', async () => {
    const model = await resolveDir(TINY_MODEL_DIR);
    await expect(startOn(model, { maxBatchSize: 2, testHooks: { failAllocationAboveBatch: 0 } })).rejects.toMatchObject(
      {
        code: 'INFERENCE_OUT_OF_MEMORY',
      },
    );
  });

  describe('with a damaged model directory', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => ({ dir, cleanup } = await copyTinyModel()));
    afterEach(() => cleanup());

    it('names an ONNX file the runtime cannot parse, with the fix', async () => {
      const model = await resolveDir(dir);
      await writeFile(model.visionModelPath, 'this is not a protobuf');
      await expect(startOn(model)).rejects.toMatchObject({
        code: 'MODEL_FILE_CORRUPT',
        message: expect.stringContaining(model.visionModelPath),
        hint: expect.stringContaining(`replace ${dir}`),
      });
    });

    it('stops a partial download at start through the manifest', async () => {
      await writeManifest(dir, { modelId: 'org/tiny', dtype: 'fp32' }, ['config.json', 'onnx/vision_model.onnx']);
      const model = await resolveDir(dir);
      await truncate(model.visionModelPath, 4096);
      await expect(startOn(model)).rejects.toMatchObject({
        code: 'MODEL_FILE_INCOMPLETE',
        hint: expect.stringContaining('npx vectorizer model download org/tiny --dtype fp32'),
      });
    });

    it('loads weights kept in .onnx_data beside the graph, and names that file when it is gone', async () => {
      const model = await resolveDir(dir);
      const reference = await startOn(await resolveDir(TINY_MODEL_DIR));
      const dataFile = await externalizeWeights(model.visionModelPath);
      const external = await startOn(model);
      try {
        const image = randomImage(7);
        const [a] = await reference.embedder.embedPixels([image.slice()]);
        const [b] = await external.embedder.embedPixels([image.slice()]);
        expect(dot(a, b)).toBeCloseTo(1, 5);
      } finally {
        await reference.embedder.close();
        await external.embedder.close();
      }
      await rm(dataFile);
      await expect(startOn(model)).rejects.toMatchObject({
        code: 'MODEL_FILE_MISSING',
        message: expect.stringContaining('vision_model.onnx_data'),
      });
    });

    it('catches config.json disagreeing with the ONNX output size', async () => {
      const model = await resolveDir(dir);
      await expect(startOn({ ...model, dimension: 128 })).rejects.toMatchObject({ code: 'MODEL_DIMENSION_MISMATCH' });
    });
  });

  it('refuses work after close', async () => {
    const { embedder } = await startOn(await resolveDir(TINY_MODEL_DIR));
    await embedder.close();
    await expect(embedder.embedPixels([randomImage(1)])).rejects.toMatchObject({ code: 'EMBEDDER_CLOSED' });
  });
});
