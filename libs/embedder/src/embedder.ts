import { planPreprocess, type DecodeLimits } from '@vectorizer/images';
import type { Logger } from '@vectorizer/logger';
import { EmbedderError } from './errors';
import { ImageBatches } from './inference/image-batches';
import { InferenceClient, ThreadLoadError } from './inference/inference-client';
import { explainLoadFailure } from './inference/load-errors';
import type { InferenceTestHooks } from './inference/protocol';
import { planExecution } from './inference/providers';
import { embedTexts } from './inference/text-embedding';
import { requiredModelFiles } from './model/required-model-files';
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

/**
 * One model session for the whole process, run in a worker thread: its start (files verified,
 * session loaded, shapes checked, the batch size that fits found), the ways in (images, text) and its
 * close. Every caller shares it; batches are queued and run one at a time. Embeddings come back
 * L2-normalized.
 */
export class Embedder {
  private closed = false;

  private constructor(
    private readonly client: InferenceClient,
    private readonly model: ResolvedModel,
    private readonly images: ImageBatches,
    private readonly decodeLimits: DecodeLimits,
  ) {}

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
    return this.images.maxBatchSize;
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
    const verified = await verifyModel({
      dir: model.dir,
      requiredFiles: requiredModelFiles(model, { text: model.textModelPath !== undefined }),
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

    const images = new ImageBatches(client, model, logger, opts.maxBatchSize);
    const embedder = new Embedder(client, model, images, opts.decodeLimits ?? DEFAULT_DECODE_LIMITS);
    try {
      embedder.checkDeclaredShapes();
      const msPerBatch = await images.warmUp();
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

  /** Embeds images given at the model's input size as interleaved 8-bit RGB (a PreprocessPlan's run()). */
  async embedRgb(images: Uint8Array[]): Promise<Float32Array[]> {
    this.assertOpen();
    return this.images.embedRgb(images);
  }

  /** Embeds preprocessed images (each CHW float32, as preprocessImage returns). */
  async embedPixels(images: Float32Array[]): Promise<Float32Array[]> {
    this.assertOpen();
    return this.images.embedPixels(images);
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
    return embedTexts(this.client, this.model, texts);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
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

  private assertOpen(): void {
    if (this.closed)
      throw new EmbedderError('EMBEDDER_CLOSED', 'The embedder was closed', { hint: 'Start a new Embedder.' });
  }
}
