import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChwNormalizer, planPreprocess, type DecodeLimits } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import { EmbedderError } from './errors';
import { InferenceClient, ThreadLoadError, ThreadRequestError } from './inference/inference-client';
import { explainLoadFailure, isAllocationFailure } from './inference/load-errors';
import type { InferenceTestHooks } from './inference/protocol';
import { planExecution } from './inference/providers';
import { CONFIG_FILE, PREPROCESSOR_FILE, onnxFileFor } from './model/model-files';
import type { ResolvedModel } from './model/resolve-model';
import { verifyModel, type HashPolicy } from './model/verify-model';

export interface EmbedderStartOptions {
  model: ResolvedModel;
  /** auto | cpu | cuda | cuda:N | webgpu */
  device: string;
  allowCpuFallback: boolean;
  /** Largest batch to try; the warm-up lowers it when the device runs out of memory. */
  maxBatchSize: number;
  /** ORT intra-op threads; unset lets ORT use every core. */
  threads?: number;
  logger: Logger;
  /** Limits for embedImages' decoding; defaults match the config defaults. */
  decodeLimits?: DecodeLimits;
  /** Manifest hash check at start (see verify-model.ts); default when-changed. */
  hashPolicy?: HashPolicy;
  /**
   * Embed calls that may wait for the session thread at once (default 16); one more fails with
   * INFERENCE_QUEUE_FULL. Each waiting call holds at most one batch of pixels, so this bounds that memory.
   */
  maxQueuedRequests?: number;
  /** Tests only: simulate device memory exhaustion. */
  testHooks?: InferenceTestHooks;
}

const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBytes: 25 * 1024 * 1024, maxPixels: 50_000_000, timeoutMs: 15_000 };

function outOfMemory(batch: number, message: string): EmbedderError {
  return new EmbedderError(
    'INFERENCE_OUT_OF_MEMORY',
    `Even a batch of ${batch} image(s) does not fit in memory: ${message}`,
    {
      hint: 'Free device memory (other processes on this GPU?), use a smaller MODEL_DTYPE (fp16/q8), or run on a larger device.',
    },
  );
}

/**
 * One model session for the whole process, run in a worker thread. Every caller shares it;
 * batches are queued and run one at a time. Embeddings come back L2-normalized.
 */
/** Batch input buffers kept for reuse: one in the thread while the next batch is packed. */
const MAX_SPARE_BATCH_BUFFERS = 2;
/** …and at most this many bytes of them (a GPU batch of 256 at 384 px is 453 MB: then none is kept). */
const MAX_SPARE_BATCH_BYTES = 256 * 1024 * 1024;

export class Embedder {
  private closed = false;
  private readonly spareBatchBuffers: ArrayBuffer[] = [];
  private batchLimit: number;
  private readonly normalizer: ChwNormalizer;

  private constructor(
    private readonly client: InferenceClient,
    private readonly model: ResolvedModel,
    private readonly logger: Logger,
    private readonly decodeLimits: DecodeLimits,
    maxBatchSize: number,
  ) {
    this.batchLimit = maxBatchSize;
    this.normalizer = new ChwNormalizer(model.preprocessor, {
      type: client.session.inputType === 'float16' ? 'float16' : 'float32',
    });
  }

  get modelId(): string {
    return this.model.id;
  }

  get dimension(): number {
    return this.model.dimension;
  }

  get provider(): string {
    return this.client.session.provider;
  }

  get isDevModel(): boolean {
    return this.model.isDevModel;
  }

  /** The largest batch known to fit; lowered when the device runs out of memory. */
  get maxBatchSize(): number {
    return this.batchLimit;
  }

  /**
   * Verifies the model files, loads the session in its thread and runs one warm-up batch at
   * maxBatchSize (halving on out-of-memory). Throws a named EmbedderError when any step fails, so
   * a worker never takes jobs with a model that cannot run.
   */
  static async start(opts: EmbedderStartOptions): Promise<Embedder> {
    const { model, logger } = opts;
    if (!Number.isInteger(opts.maxBatchSize) || opts.maxBatchSize < 1) {
      throw new EmbedderError(
        'EMBEDDER_OPTIONS_INVALID',
        `maxBatchSize must be a whole number >= 1 (got ${opts.maxBatchSize})`,
        {
          hint: 'Set BATCH_SIZE to 1 or more, or leave it unset to use the planned size.',
        },
      );
    }
    const queued = opts.maxQueuedRequests;
    if (queued !== undefined && (!Number.isInteger(queued) || queued < 1)) {
      throw new EmbedderError(
        'EMBEDDER_OPTIONS_INVALID',
        `maxQueuedRequests must be a whole number >= 1 (got ${queued})`,
        {
          hint: 'Leave it unset for the default (16), or allow at least as many as the concurrent embed calls.',
        },
      );
    }
    const required = [CONFIG_FILE, PREPROCESSOR_FILE, relative(model.dir, model.visionModelPath)];
    const verified = await verifyModel({
      dir: model.dir,
      requiredFiles: required,
      source: model.source,
      hashPolicy: opts.hashPolicy ?? 'when-changed',
    });
    if (!verified.hasManifest && !model.isDevModel) {
      logger.info(
        { modelDir: model.dir },
        'model directory has no vectorizer-manifest.json: only file presence was checked',
      );
    }

    const plan = planExecution({ device: opts.device, allowCpuFallback: opts.allowCpuFallback });
    for (const warning of plan.warnings) logger.warn({ device: opts.device }, warning);

    let client: InferenceClient;
    try {
      client = await InferenceClient.start(
        {
          visionModelPath: model.visionModelPath,
          textModelPath: model.textModelPath,
          modelDir: model.dir,
          textPreprocessing: model.textPreprocessing,
          attempts: plan.attempts,
          threads: opts.threads,
          testHooks: opts.testHooks,
        },
        opts.maxQueuedRequests,
      );
    } catch (error) {
      if (error instanceof ThreadLoadError)
        throw explainLoadFailure(error.failure, { path: model.visionModelPath, source: model.source });
      throw error;
    }
    for (const warning of client.warnings) logger.warn({ device: opts.device }, warning);

    const embedder = new Embedder(client, model, logger, opts.decodeLimits ?? DEFAULT_DECODE_LIMITS, opts.maxBatchSize);
    try {
      embedder.checkDeclaredShapes();
      const msPerBatch = await embedder.warmUp();
      logger.info(
        {
          model: model.id,
          dimension: model.dimension,
          provider: embedder.provider,
          batchSize: embedder.maxBatchSize,
          msPerBatch: Math.round(msPerBatch),
          dtype: model.dtype,
        },
        `embedder ready: ${model.id} (${model.dimension}-d) on ${embedder.provider}, batch ${embedder.maxBatchSize} in ${Math.round(msPerBatch)} ms`,
      );
    } catch (error) {
      await client.close();
      throw error;
    }
    return embedder;
  }

  /**
   * Embeds images given at the model's input size as interleaved 8-bit RGB (a PreprocessPlan's
   * run()). Each is normalized straight into the batch input: no float32 copy per image is made
   * (at 384 px that is 1.8 MB written and read again per image, on the thread that feeds a GPU).
   */
  async embedRgb(images: Uint8Array[]): Promise<Float32Array[]> {
    const { height, width } = this.model.preprocessor.size;
    this.requireInputLength(images, 'RGB bytes');
    return this.embedInBatches(images, {
      halfBits: this.normalizer.output.type === 'float16',
      fill: (image, out, offset) => this.normalizer.write(image, height * width, out, offset),
    });
  }

  /** Embeds preprocessed images (each CHW float32, as preprocessImage returns). */
  async embedPixels(images: Float32Array[]): Promise<Float32Array[]> {
    this.requireInputLength(images, 'float32 values');
    return this.embedInBatches(images, FLOAT32_COPY);
  }

  /** Decodes and preprocesses every buffer (concurrently), then embeds them. Fails on the first bad image. */
  async embedImages(buffers: Buffer[]): Promise<Float32Array[]> {
    this.assertOpen();
    const images = await Promise.all(
      buffers.map(async (bytes) => (await planPreprocess(bytes, this.model.preprocessor, this.decodeLimits)).run()),
    );
    return this.embedRgb(images.map((image) => image.data));
  }

  /** Embeds text queries with the text tower (loaded on first use). */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    this.assertOpen();
    if (!this.model.textModelPath) {
      throw new EmbedderError('TEXT_MODEL_UNAVAILABLE', `${this.model.id} has no text tower in ${this.model.dir}`, {
        hint: `Text search needs ${this.model.dir}/${onnxFileFor('text_model', this.model.dtype)} plus tokenizer.json and tokenizer_config.json.`,
      });
    }
    if (texts.length === 0) return [];
    try {
      const { embeddings, dimension } = await this.client.embedTexts(texts);
      if (dimension !== this.model.dimension) {
        throw new EmbedderError(
          'MODEL_DIMENSION_MISMATCH',
          `${this.model.textModelPath} returns ${dimension}-d embeddings but the image embeddings are ${this.model.dimension}-d`,
          { hint: 'The text and vision towers come from different models; re-download the model as one set.' },
        );
      }
      return splitRows(embeddings, dimension);
    } catch (error) {
      throw this.inferenceError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private requireInputLength(images: ArrayLike<number>[], unit: 'RGB bytes' | 'float32 values'): void {
    const { height, width } = this.model.preprocessor.size;
    const expected = 3 * height * width;
    this.assertOpen();
    images.forEach((image, index) => {
      if (image.length !== expected) {
        throw new EmbedderError(
          'INPUT_SHAPE_MISMATCH',
          `Image ${index} has ${image.length} ${unit}; this model takes 3x${height}x${width} = ${expected}`,
          {
            hint: `Decode and resize with the model's own preprocessor_config.json (${height}x${width}): planPreprocess or preprocessImage(bytes, model.preprocessor, limits).`,
          },
        );
      }
    });
  }

  /** Splits `images` into batches of at most the batch limit, halving the limit when a batch runs out of memory. */
  private async embedInBatches<T>(images: T[], packing: BatchPacking<T>): Promise<Float32Array[]> {
    const results: Float32Array[] = [];
    let start = 0;
    while (start < images.length) {
      const batch = images.slice(start, start + this.batchLimit);
      try {
        results.push(...(await this.runBatch(batch, packing)));
        start += batch.length;
      } catch (error) {
        // A batch that no longer fits (other tenants on the GPU) halves the limit and retries.
        if (!(error instanceof ThreadRequestError) || !isAllocationFailure(error.message))
          throw this.inferenceError(error);
        if (batch.length === 1) throw outOfMemory(1, error.message);
        this.lowerBatchLimit(batch.length, error.message);
      }
    }
    return results;
  }

  private async runBatch<T>(batch: T[], packing: BatchPacking<T>): Promise<Float32Array[]> {
    const { height, width } = this.model.preprocessor.size;
    const plane = 3 * height * width;
    // One contiguous buffer, transferred (not copied) to the thread; the thread sends it back for the
    // next batch, since allocating one (28 MB for 16 images at 384 px) costs more than filling it.
    // Spares have room for a full float32 batch, so partial and half-precision batches (a view on
    // the front) reuse them too.
    const length = batch.length * plane;
    const bytesPerValue = packing.halfBits ? 2 : 4;
    const spare = this.spareBatchBuffers.findIndex((buffer) => buffer.byteLength >= length * bytesPerValue);
    const buffer =
      spare === -1
        ? new ArrayBuffer(Math.max(batch.length, this.batchLimit) * plane * 4)
        : this.spareBatchBuffers.splice(spare, 1)[0];
    const packed = packing.halfBits ? new Uint16Array(buffer, 0, length) : new Float32Array(buffer, 0, length);
    batch.forEach((image, i) => packing.fill(image, packed, i * plane));
    const { embeddings, dimension, pixels } = await this.client.embedPixels(packed, batch.length, height, width);
    const spareBytes = this.spareBatchBuffers.reduce((sum, kept) => sum + kept.byteLength, 0);
    if (
      pixels &&
      this.spareBatchBuffers.length < MAX_SPARE_BATCH_BUFFERS &&
      spareBytes + pixels.buffer.byteLength <= MAX_SPARE_BATCH_BYTES
    )
      this.spareBatchBuffers.push(pixels.buffer as ArrayBuffer);
    if (dimension !== this.model.dimension) {
      throw new EmbedderError(
        'MODEL_DIMENSION_MISMATCH',
        `${this.model.visionModelPath} returns ${dimension}-d embeddings but config.json says ${this.model.dimension}`,
        {
          hint: 'config.json and the ONNX file come from different models; re-export or re-download the model as one set.',
        },
      );
    }
    return splitRows(embeddings, dimension);
  }

  /** Catches a model/preprocessor mismatch before the first real batch. */
  private checkDeclaredShapes(): void {
    const { declaredDimension, declaredImageSize } = this.client.session;
    if (declaredDimension !== undefined && declaredDimension !== this.model.dimension) {
      throw new EmbedderError(
        'MODEL_DIMENSION_MISMATCH',
        `${this.model.visionModelPath} declares ${declaredDimension}-d output but config.json says ${this.model.dimension}`,
        {
          hint: 'config.json and the ONNX file come from different models; re-export or re-download the model as one set.',
        },
      );
    }
    const { height, width } = this.model.preprocessor.size;
    if (declaredImageSize && (declaredImageSize.height !== height || declaredImageSize.width !== width)) {
      throw new EmbedderError(
        'MODEL_CONFIG_INVALID',
        `${this.model.visionModelPath} takes ${declaredImageSize.height}x${declaredImageSize.width} images but preprocessor_config.json resizes to ${height}x${width}`,
        {
          hint: 'preprocessor_config.json belongs to a different model; re-download the model as one set.',
        },
      );
    }
  }

  /** Runs one batch at the configured size, halving on allocation failure; returns ms for that batch. */
  private async warmUp(): Promise<number> {
    const { height, width } = this.model.preprocessor.size;
    for (;;) {
      const batch = Array.from({ length: this.batchLimit }, () => new Float32Array(3 * height * width));
      const started = performance.now();
      try {
        await this.runBatch(batch, FLOAT32_COPY);
        return performance.now() - started;
      } catch (error) {
        if (!(error instanceof ThreadRequestError) || !isAllocationFailure(error.message))
          throw this.inferenceError(error);
        if (this.batchLimit === 1) throw outOfMemory(1, error.message);
        this.lowerBatchLimit(this.batchLimit, error.message);
      }
    }
  }

  private lowerBatchLimit(failedSize: number, message: string): void {
    const next = Math.max(1, Math.floor(failedSize / 2));
    this.logger.warn(
      { failedBatchSize: failedSize, batchSize: next, cause: message },
      `batch of ${failedSize} ran out of memory; retrying with ${next}`,
    );
    this.batchLimit = Math.min(this.batchLimit, next);
  }

  private inferenceError(error: unknown): Error {
    if (error instanceof EmbedderError) return error;
    if (error instanceof ThreadRequestError) {
      if (error.serialized.code === 'TEXT_MODEL_UNAVAILABLE') {
        return new EmbedderError('TEXT_MODEL_UNAVAILABLE', error.message, {
          hint: 'Use a model export that includes onnx/text_model.onnx and its tokenizer.',
        });
      }
      return new EmbedderError('INFERENCE_FAILED', `Inference failed on ${this.provider}: ${error.message}`, {
        hint: 'If this repeats, check the model files (npx vectorizer model verify) and the device.',
        cause: error,
      });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  private assertOpen(): void {
    if (this.closed)
      throw new EmbedderError('EMBEDDER_CLOSED', 'The embedder was closed', { hint: 'Start a new Embedder.' });
  }
}

/** How one kind of input is written into the packed batch. */
interface BatchPacking<T> {
  /** Writes half-precision bits (a Uint16Array batch) instead of float32 values. */
  halfBits: boolean;
  /** Writes one image of the batch at `offset` (in values). */
  fill(image: T, out: Float32Array | Uint16Array, offset: number): void;
}

/** Preprocessed float32 tensors, copied as they are (the thread converts them for a float16 input). */
const FLOAT32_COPY: BatchPacking<Float32Array> = {
  halfBits: false,
  fill: (image, out, offset) => (out as Float32Array).set(image, offset),
};

function splitRows(matrix: Float32Array, dimension: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let offset = 0; offset < matrix.length; offset += dimension)
    rows.push(matrix.subarray(offset, offset + dimension));
  return rows;
}
