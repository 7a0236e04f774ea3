import { takePixelBuffer } from './pixel-pool';
import type { PreprocessorConfig } from './preprocessor-config';

/**
 * Interleaved 8-bit RGB → channels-first float32, rescaled and normalized. Each channel has only
 * 256 possible inputs, so the arithmetic runs once per value into a lookup table, in the same
 * float32 steps transformers takes (x * rescale_factor, then (x - mean) / std).
 */
export function rgbToNormalizedChw(rgb: Buffer, pixelCount: number, config: PreprocessorConfig): Float32Array {
  const tables = [0, 1, 2].map((channel) => channelTable(config, channel));
  const [red, green, blue] = tables;
  // Every value is written below, so a recycled array needs no clearing.
  const out = takePixelBuffer(3 * pixelCount);
  const greenPlane = pixelCount;
  const bluePlane = 2 * pixelCount;
  for (let pixel = 0, src = 0; pixel < pixelCount; pixel++, src += 3) {
    out[pixel] = red[rgb[src]];
    out[greenPlane + pixel] = green[rgb[src + 1]];
    out[bluePlane + pixel] = blue[rgb[src + 2]];
  }
  return out;
}

function channelTable(config: PreprocessorConfig, channel: number): Float32Array {
  const table = new Float32Array(256);
  const mean = Math.fround(config.image_mean[channel]);
  const std = Math.fround(config.image_std[channel]);
  for (let value = 0; value < 256; value++) {
    let x = config.do_rescale ? Math.fround(value * config.rescale_factor) : value;
    if (config.do_normalize) x = Math.fround(Math.fround(x - mean) / std);
    table[value] = x;
  }
  return table;
}
