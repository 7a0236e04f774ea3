import { describeError } from '@vectorizer/errors';
import {
  ImageFetcher,
  decodeLimitsFromConfig,
  fetcherOptionsFromConfig,
  planPreprocess,
  readLocalImage,
} from '@vectorizer/images';
import type { Runtime } from './runtime';

/** One input's outcome: its embedding, or the error that stopped it. */
export type EmbeddedInput =
  { input: string; dim: number; embedding: number[] } | { input: string; error: { code: string; message: string } };

const isUrl = (input: string) => /^https?:\/\//i.test(input);

function failed(input: string, error: unknown): EmbeddedInput {
  const described = describeError(error);
  return { input, error: { code: described.code ?? 'UNEXPECTED_ERROR', message: described.message } };
}

/**
 * Embeds image files and http(s) URLs with the configured model (or the one in `modelDir`), one
 * outcome per input in their order. Each input fails on its own; the good ones are embedded
 * together in one batch.
 */
export async function embedImageInputs(
  runtime: Runtime,
  inputs: string[],
  options: { modelDir?: string } = {},
): Promise<EmbeddedInput[]> {
  const { config } = runtime;
  const model = await runtime.model(options.modelDir);
  const limits = decodeLimitsFromConfig(config);
  const embedder = await runtime.startEmbedder(model, {
    maxBatchSize: Math.min(config.BATCH_SIZE ?? 16, Math.max(1, inputs.length)),
  });
  const fetcher = inputs.some(isUrl) ? new ImageFetcher(fetcherOptionsFromConfig(config)) : undefined;
  try {
    const outcomes: EmbeddedInput[] = new Array(inputs.length);
    const pixels: { index: number; values: Uint8Array }[] = [];
    await Promise.all(
      inputs.map(async (input, index) => {
        try {
          const bytes =
            isUrl(input) && fetcher ? (await fetcher.fetch(input)).bytes : await readLocalImage(input, limits.maxBytes);
          const plan = await planPreprocess(bytes, model.preprocessor, limits);
          pixels.push({ index, values: (await plan.run()).data });
        } catch (error) {
          outcomes[index] = failed(input, error);
        }
      }),
    );
    pixels.sort((a, b) => a.index - b.index);
    if (pixels.length > 0) {
      const embeddings = await embedder.embedRgb(pixels.map((p) => p.values));
      pixels.forEach(({ index }, i) => {
        outcomes[index] = { input: inputs[index], dim: embeddings[i].length, embedding: Array.from(embeddings[i]) };
      });
    }
    return outcomes;
  } finally {
    await fetcher?.close();
    await embedder.close();
  }
}
