import { rgbToNormalizedChw } from './chw';
import { decodeRgbResized, type DecodeLimits } from './decode';
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
