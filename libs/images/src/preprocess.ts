import { rgbToNormalizedChw } from './chw';
import { decodeRgbResized, readHeader, requireDecodable, type DecodeLimits, type RgbPixels } from './decode';
import { decodeMemoryEstimate } from './decode-memory';
import type { ImageHeader } from './jpeg-header';
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
  const rgb = await decodeForModel(bytes, config, limits);
  return rgbToNormalizedChw(rgb.data, rgb.width * rgb.height, config);
}

/** One image's decode, planned from its header before any pixel is decoded. */
export interface PreprocessPlan {
  /** The most bytes `run()` will hold at once (decodeMemoryEstimate), for a memory budget. */
  memoryBytes: number;
  /**
   * The image at the model's input size as interleaved 8-bit RGB (a quarter of the float32
   * tensor's bytes), reusing the header already read. The Embedder normalizes it into the batch
   * input (embedRgb); preprocessImage's result is exactly that normalization.
   */
  run(): Promise<RgbPixels>;
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
    run: () => decodeForModel(bytes, config, limits, header),
  };
}

function decodeForModel(
  bytes: Buffer,
  config: PreprocessorConfig,
  limits: DecodeLimits,
  header?: ImageHeader,
): Promise<RgbPixels> {
  const { height, width } = config.size;
  return decodeRgbResized(bytes, { width, height, kernel: sharpKernelFor(config.resample) }, limits, header);
}
