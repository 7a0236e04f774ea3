import { rgbToNormalizedChw } from './chw';
import { decodeRgbResized, readHeader, requireDecodable, type DecodeLimits } from './decode';
import { decodeMemoryEstimate } from './decode-memory';
import type { PreprocessorConfig } from './preprocessor-config';
import { sharpKernelFor } from './resample';

/**
 * Image bytes → the model's pixel tensor: float32, channels first (3 × height × width), the
 * numbers Hugging Face's SiglipImageProcessor produces for the same file. Every size and
 * statistic comes from `config`.
 */
export async function preprocessImage(
  bytes: Buffer,
  config: PreprocessorConfig,
  limits: DecodeLimits,
): Promise<Float32Array> {
  const { height, width } = config.size;
  const rgb = await decodeRgbResized(bytes, { width, height, kernel: sharpKernelFor(config.resample) }, limits);
  return rgbToNormalizedChw(rgb.data, rgb.width * rgb.height, config);
}

/** One image's decode, planned from its header before any pixel is decoded. */
export interface PreprocessPlan {
  /** The most bytes `run()` will hold at once (decodeMemoryEstimate), for a memory budget. */
  memoryBytes: number;
  /** preprocessImage's result, reusing the header already read. */
  run(): Promise<Float32Array>;
}

/**
 * Reads the header once (refusing oversized files, unsupported formats and decompression bombs
 * right here) and says what decoding will cost, so a caller can wait for memory before `run()`.
 */
export async function planPreprocess(
  bytes: Buffer,
  config: PreprocessorConfig,
  limits: DecodeLimits,
): Promise<PreprocessPlan> {
  requireDecodable(bytes, limits);
  const header = await readHeader(bytes, limits);
  const { height, width } = config.size;
  return {
    memoryBytes: decodeMemoryEstimate(header, { width, height }),
    run: async () => {
      const rgb = await decodeRgbResized(
        bytes,
        { width, height, kernel: sharpKernelFor(config.resample) },
        limits,
        header,
      );
      return rgbToNormalizedChw(rgb.data, rgb.width * rgb.height, config);
    },
  };
}
