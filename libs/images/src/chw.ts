import { toHalfBits } from './half-float';
import { endianness } from 'node:os';
import type { PreprocessorConfig } from './preprocessor-config';

const LITTLE_ENDIAN = endianness() === 'LE';

type NormalizeConfig = Pick<
  PreprocessorConfig,
  'do_rescale' | 'rescale_factor' | 'do_normalize' | 'image_mean' | 'image_std'
>;

/**
 * Interleaved 8-bit RGB → channels-first float32, rescaled and normalized, written straight into the
 * caller's array (the model's batch input) so that no per-image float array is made and copied.
 * Each channel has only 256 possible inputs, so the arithmetic runs once per value into a lookup
 * table, in the same float32 steps transformers takes (x * rescale_factor, then (x - mean) / std).
 *
 * The batch is filled on the worker's main thread, so the pixels are read four at a time as three
 * 32-bit words (12 bytes) instead of byte by byte (docs/performance.md). Bytes the word view cannot
 * reach (an unaligned buffer, a big-endian host, the last pixels) go byte by byte.
 */
export class ChwNormalizer {
  private readonly red: Float32Array | Uint16Array;
  private readonly green: Float32Array | Uint16Array;
  private readonly blue: Float32Array | Uint16Array;

  /**
   * `output` float16: the values are written as IEEE half-precision bits (`toHalfBits` of each
   * float32 value, once per table entry), for graphs whose input is float16 itself, so no
   * per-value conversion of the batch runs on the inference thread, between the device's runs.
   */
  constructor(
    config: NormalizeConfig,
    readonly output: { type: 'float32' | 'float16' } = { type: 'float32' },
  ) {
    const encode = output.type === 'float16' ? toHalfBits : undefined;
    this.red = channelTable(config, 0, encode);
    this.green = channelTable(config, 1, encode);
    this.blue = channelTable(config, 2, encode);
  }

  /**
   * Writes `pixelCount` pixels of `rgb` as 3 planes into `out` from `offset` on (3 × pixelCount
   * values): a Float32Array, or a Uint16Array of half bits for the float16 output type.
   */
  write(rgb: Uint8Array, pixelCount: number, out: Float32Array | Uint16Array, offset = 0): void {
    if (rgb.length < 3 * pixelCount)
      throw new RangeError(`${rgb.length} bytes hold fewer than ${pixelCount} RGB pixels`);
    if (out.length < offset + 3 * pixelCount) throw new RangeError('the output array is too short for these pixels');
    if (out instanceof Uint16Array !== (this.output.type === 'float16'))
      throw new TypeError(`a ${this.output.type} normalizer cannot write into a ${out.constructor.name}`);
    const { red, green, blue } = this;
    const redPlane = out.subarray(offset, offset + pixelCount);
    const greenPlane = out.subarray(offset + pixelCount, offset + 2 * pixelCount);
    const bluePlane = out.subarray(offset + 2 * pixelCount, offset + 3 * pixelCount);
    let pixel = 0;
    if (LITTLE_ENDIAN && rgb.byteOffset % 4 === 0) {
      const groups = pixelCount >> 2;
      const words = new Uint32Array(rgb.buffer, rgb.byteOffset, groups * 3);
      for (let word = 0; word < words.length; word += 3, pixel += 4) {
        // Little-endian: the word's low byte comes first. Pixels 0..3 are r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3.
        const a = words[word];
        const b = words[word + 1];
        const c = words[word + 2];
        redPlane[pixel] = red[a & 255];
        greenPlane[pixel] = green[(a >>> 8) & 255];
        bluePlane[pixel] = blue[(a >>> 16) & 255];
        redPlane[pixel + 1] = red[a >>> 24];
        greenPlane[pixel + 1] = green[b & 255];
        bluePlane[pixel + 1] = blue[(b >>> 8) & 255];
        redPlane[pixel + 2] = red[(b >>> 16) & 255];
        greenPlane[pixel + 2] = green[b >>> 24];
        bluePlane[pixel + 2] = blue[c & 255];
        redPlane[pixel + 3] = red[(c >>> 8) & 255];
        greenPlane[pixel + 3] = green[(c >>> 16) & 255];
        bluePlane[pixel + 3] = blue[c >>> 24];
      }
    }
    for (let src = pixel * 3; pixel < pixelCount; pixel++, src += 3) {
      redPlane[pixel] = red[rgb[src]];
      greenPlane[pixel] = green[rgb[src + 1]];
      bluePlane[pixel] = blue[rgb[src + 2]];
    }
  }
}

/** One image's model input on its own: a new channels-first float32 array (see ChwNormalizer). */
export function rgbToNormalizedChw(rgb: Uint8Array, pixelCount: number, config: PreprocessorConfig): Float32Array {
  const out = new Float32Array(3 * pixelCount);
  new ChwNormalizer(config).write(rgb, pixelCount, out);
  return out;
}

function channelTable(
  config: NormalizeConfig,
  channel: number,
  encode?: (value: number) => number,
): Float32Array | Uint16Array {
  const table: Float32Array | Uint16Array = encode ? new Uint16Array(256) : new Float32Array(256);
  const mean = Math.fround(config.image_mean[channel]);
  const std = Math.fround(config.image_std[channel]);
  for (let value = 0; value < 256; value++) {
    let x = config.do_rescale ? Math.fround(value * config.rescale_factor) : value;
    if (config.do_normalize) x = Math.fround(Math.fround(x - mean) / std);
    table[value] = encode ? encode(x) : x;
  }
  return table;
}
