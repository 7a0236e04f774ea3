import type { JobPayload } from '@vectorizer/queue';
import type { DecodeLimits, FetchedImage, PreprocessPlan, PreprocessorConfig } from '@vectorizer/images';
import { inSpan, type PipelineMetrics } from '@vectorizer/telemetry';
import type { SpanContext } from '@opentelemetry/api';
import type { MemoryBudget } from './memory-budget';

/** One job's image, downloaded and decoded at the model's input size. */
export interface PreparedImage {
  payload: JobPayload;
  imageSha256: string;
  /**
   * Interleaved 8-bit RGB at the size the model's preprocessor_config.json asks (H x W x 3); the
   * Embedder normalizes it into the batch input. A quarter of the float32 tensor's bytes, which is
   * what every job waiting for its batch holds.
   */
  pixels: Uint8Array;
  /** With tracing on: the job's span, and how to link it to the batch it joins. */
  trace?: { context: SpanContext; joinedBatch(batch: SpanContext): void };
}

export interface ImageSource {
  fetch(url: string, opts?: { signal?: AbortSignal }): Promise<FetchedImage>;
}

export interface PrepareImageDeps {
  fetcher: ImageSource;
  /** Reads the header and plans the decode (planPreprocess): its memory cost, then the decode itself. */
  preprocess: (bytes: Buffer, config: PreprocessorConfig, limits: DecodeLimits) => Promise<PreprocessPlan>;
  preprocessor: PreprocessorConfig;
  decodeLimits: DecodeLimits;
  metrics: PipelineMetrics;
  /** Bounds the memory held by the decodes of all jobs in hand (see MemoryBudget). */
  budget: MemoryBudget;
}

/** Fetch + decode of one image, timed; failures keep their ImageError (code, retryable). */
export async function prepareImage(
  payload: JobPayload,
  deps: PrepareImageDeps,
  signal?: AbortSignal,
): Promise<PreparedImage> {
  const { metrics } = deps;
  const fetched = await inSpan('vectorizer.fetch', () =>
    timed(metrics.imageFetchDuration, () => deps.fetcher.fetch(payload.imageUrl, { signal }), metrics),
  );
  const pixels = await inSpan('vectorizer.decode', () =>
    timed(
      metrics.imageDecodeDuration,
      async () => {
        const plan = await deps.preprocess(fetched.bytes, deps.preprocessor, deps.decodeLimits);
        return (await deps.budget.run(plan.memoryBytes, plan.run)).data;
      },
      metrics,
    ),
  );
  return { payload, imageSha256: fetched.sha256, pixels };
}

async function timed<T>(
  histogram: PipelineMetrics['imageFetchDuration'],
  work: () => Promise<T>,
  metrics: PipelineMetrics,
): Promise<T> {
  const stop = histogram.startTimer();
  try {
    const result = await work();
    stop();
    return result;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    metrics.imageFetchErrors.inc({ code: typeof code === 'string' ? code : 'UNEXPECTED_ERROR' });
    throw error;
  }
}
