import { TextDims } from './text-tower';
import { TEXT_MAX_LENGTH } from './tokenizer';
import { VisionDims } from './vision-tower';

export type DevModelSize = 'tiny' | 'base';

export interface DevModelSpec {
  vision: VisionDims;
  /** Vocabulary size is set by the generated tokenizer, so it is not part of the spec. */
  text: Omit<TextDims, 'vocabSize'>;
}

const LAYER_NORM_EPS = 1e-6;

/**
 * `tiny` is for tests (32 px, 16 patches, 64-d: a < 1 MB file that runs in a millisecond);
 * `base` has the shapes and cost of google/siglip-base-patch16-224 (768-d) for realistic load
 * and throughput, with a small 2-layer text tower since text is only used for search queries.
 */
export const DEV_MODEL_SIZES: Readonly<Record<DevModelSize, DevModelSpec>> = {
  tiny: {
    vision: {
      imageSize: 32,
      patchSize: 8,
      numChannels: 3,
      hiddenSize: 64,
      numLayers: 2,
      numHeads: 4,
      intermediateSize: 128,
      layerNormEps: LAYER_NORM_EPS,
    },
    text: {
      maxPositionEmbeddings: TEXT_MAX_LENGTH,
      hiddenSize: 64,
      numLayers: 2,
      numHeads: 4,
      intermediateSize: 128,
      layerNormEps: LAYER_NORM_EPS,
      projectionSize: 64,
    },
  },
  base: {
    vision: {
      imageSize: 224,
      patchSize: 16,
      numChannels: 3,
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      intermediateSize: 3072,
      layerNormEps: LAYER_NORM_EPS,
    },
    text: {
      maxPositionEmbeddings: TEXT_MAX_LENGTH,
      hiddenSize: 768,
      numLayers: 2,
      numHeads: 12,
      intermediateSize: 3072,
      layerNormEps: LAYER_NORM_EPS,
      projectionSize: 768,
    },
  },
};

export function isDevModelSize(value: unknown): value is DevModelSize {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DEV_MODEL_SIZES, value);
}

/** The model family a dev model imitates: SigLIP (SentencePiece tokenizer) or SigLIP 2 FixRes (Gemma tokenizer). */
export type DevModelFamily = 'siglip' | 'siglip2';

/**
 * `vectorizer/dev-siglip-<size>` (`dev-siglip2-…` for the SigLIP 2 variant), with `-poison-<kind>`
 * for a poisoned one (its vectors must never mix with the clean model's).
 */
export function devModelId(size: DevModelSize, poison?: string, family: DevModelFamily = 'siglip'): string {
  return `vectorizer/dev-${family}-${size}${poison ? `-poison-${poison}` : ''}`;
}
