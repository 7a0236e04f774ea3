import { performance } from 'node:perf_hooks';
import { ChwNormalizer } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import { EmbedderError } from '../errors';
import type { ResolvedModel } from '../model/resolve-model';
import { ThreadRequestError, type InferenceClient } from './inference-client';
import { inferenceError } from './inference-error';
import { splitRows } from './split-rows';
import { isAllocationFailure } from './load-errors';

/** Batch input buffers kept for reuse: one in the thread while the next batch is packed. */
const MAX_SPARE_BATCH_BUFFERS = 2;
/** …and at most this many bytes of them (a full GPU batch at a large input size is then not kept). */
const MAX_SPARE_BATCH_BYTES = 256 * 1024 * 1024;

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
 * Images through the vision tower in batches of at most the batch limit, packed into one
 * contiguous buffer each. A batch that runs out of device memory halves the limit and is tried
 * again, down to one image: the warm-up finds the size that fits, later batches follow other
 * tenants of the GPU.
 */
export class ImageBatches {
  private readonly spareBatchBuffers: ArrayBuffer[] = [];
  private readonly normalizer: ChwNormalizer;
  private batchLimit: number;

  constructor(
    private readonly client: InferenceClient,
    private readonly model: ResolvedModel,
    private readonly logger: Logger,
    maxBatchSize: number,
  ) {
    this.batchLimit = maxBatchSize;
    this.normalizer = new ChwNormalizer(model.preprocessor, {
      type: client.session.inputType === 'float16' ? 'float16' : 'float32',
    });
  }

  /** The largest batch known to fit; lowered when the device runs out of memory. */
  get maxBatchSize(): number {
    return this.batchLimit;
  }

  /**
   * Embeds images given at the model's input size as interleaved 8-bit RGB (a PreprocessPlan's
   * run()). Each is normalized straight into the batch input: no float32 copy per image is made.
   */
  embedRgb(images: Uint8Array[]): Promise<Float32Array[]> {
    const { height, width } = this.model.preprocessor.size;
    this.requireInputLength(images, 'RGB bytes');
    return this.embedInBatches(images, {
      halfBits: this.normalizer.output.type === 'float16',
      fill: (image, out, offset) => this.normalizer.write(image, height * width, out, offset),
    });
  }

  /** Embeds preprocessed images (each CHW float32, as preprocessImage returns). */
  embedPixels(images: Float32Array[]): Promise<Float32Array[]> {
    this.requireInputLength(images, 'float32 values');
    return this.embedInBatches(images, FLOAT32_COPY);
  }

  /** Runs one batch at the batch limit (lowered until it fits); returns ms for that batch. */
  warmUp(): Promise<number> {
    const { height, width } = this.model.preprocessor.size;
    return this.fitting(
      () => this.batchLimit,
      async (size) => {
        const batch = Array.from({ length: size }, () => new Float32Array(3 * height * width));
        const started = performance.now();
        await this.runBatch(batch, FLOAT32_COPY);
        return performance.now() - started;
      },
    );
  }

  private async embedInBatches<T>(images: T[], packing: BatchPacking<T>): Promise<Float32Array[]> {
    const results: Float32Array[] = [];
    let start = 0;
    while (start < images.length) {
      const batch = await this.fitting(
        () => Math.min(this.batchLimit, images.length - start),
        async (size) => ({ size, rows: await this.runBatch(images.slice(start, start + size), packing) }),
      );
      results.push(...batch.rows);
      start += batch.size;
    }
    return results;
  }

  /**
   * Runs `run` with a batch of `size()` images; when that runs out of device memory, halves the
   * batch limit and runs it again with the smaller size, until a batch of one does not fit either.
   */
  private async fitting<R>(size: () => number, run: (size: number) => Promise<R>): Promise<R> {
    for (;;) {
      const batchSize = size();
      try {
        return await run(batchSize);
      } catch (error) {
        if (!(error instanceof ThreadRequestError) || !isAllocationFailure(error.message))
          throw inferenceError(error, this.client.session.provider);
        if (batchSize === 1) throw outOfMemory(1, error.message);
        const next = Math.max(1, Math.floor(batchSize / 2));
        this.logger.warn(
          { failedBatchSize: batchSize, batchSize: next, cause: error.message },
          `batch of ${batchSize} ran out of memory; retrying with ${next}`,
        );
        this.batchLimit = Math.min(this.batchLimit, next);
      }
    }
  }

  private async runBatch<T>(batch: T[], packing: BatchPacking<T>): Promise<Float32Array[]> {
    const { height, width } = this.model.preprocessor.size;
    const plane = 3 * height * width;
    // One contiguous buffer, transferred (not copied) to the thread; the thread sends it back for the
    // next batch, since allocating one costs more than filling it. Spares have room for a full
    // float32 batch, so partial and half-precision batches (a view on the front) reuse them too.
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

  private requireInputLength(images: ArrayLike<number>[], unit: 'RGB bytes' | 'float32 values'): void {
    const { height, width } = this.model.preprocessor.size;
    const expected = 3 * height * width;
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
}
