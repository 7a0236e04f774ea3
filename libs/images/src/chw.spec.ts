import { toHalfBits } from './half-float';
import { ChwNormalizer, rgbToNormalizedChw } from './chw';
import type { PreprocessorConfig } from './preprocessor-config';

const config = {
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
} as unknown as PreprocessorConfig;

/** The definition, one byte at a time, in transformers' float32 steps. */
function reference(rgb: Uint8Array, pixelCount: number): Float32Array {
  const out = new Float32Array(3 * pixelCount);
  for (let pixel = 0; pixel < pixelCount; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      const x = Math.fround((rgb[3 * pixel + channel] as number) * config.rescale_factor);
      out[channel * pixelCount + pixel] = Math.fround(
        Math.fround(x - Math.fround(config.image_mean[channel] as number)) /
          Math.fround(config.image_std[channel] as number),
      );
    }
  }
  return out;
}

const randomRgb = (bytes: number, seed: number): Uint8Array => {
  const rgb = new Uint8Array(bytes);
  let state = seed;
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    rgb[i] = state >>> 24;
  }
  return rgb;
};

describe('rgbToNormalizedChw', () => {
  // 1, 3, 5 and 7 pixels leave a tail after the groups of four; 384² is the model's size.
  it.each([1, 3, 4, 5, 7, 16, 97, 384 * 384])('matches the byte-by-byte definition on %i pixels', (pixels) => {
    const rgb = randomRgb(3 * pixels, pixels);
    expect(rgbToNormalizedChw(rgb, pixels, config)).toEqual(reference(rgb, pixels));
  });

  it('reads an RGB buffer at an unaligned offset (as a slice of a larger one) correctly', () => {
    const backing = randomRgb(3 * 101 + 3, 7);
    for (const offset of [1, 2, 3]) {
      const rgb = backing.subarray(offset, offset + 3 * 101);
      expect(rgbToNormalizedChw(rgb, 101, config)).toEqual(reference(rgb, 101));
    }
  });

  it('writes each image of a batch at its offset and leaves the rest of the batch alone', () => {
    const pixels = 97;
    const images = [randomRgb(3 * pixels, 1), randomRgb(3 * pixels, 2)];
    const batch = new Float32Array(2 * 3 * pixels + 5).fill(-7);
    const normalizer = new ChwNormalizer(config);
    normalizer.write(images[1] as Uint8Array, pixels, batch, 3 * pixels);
    normalizer.write(images[0] as Uint8Array, pixels, batch, 0);
    expect(batch.subarray(0, 3 * pixels)).toEqual(reference(images[0] as Uint8Array, pixels));
    expect(batch.subarray(3 * pixels, 6 * pixels)).toEqual(reference(images[1] as Uint8Array, pixels));
    expect([...batch.subarray(6 * pixels)]).toEqual([-7, -7, -7, -7, -7]);
  });

  it('refuses too few bytes or too short an output instead of writing garbage', () => {
    const normalizer = new ChwNormalizer(config);
    expect(() => normalizer.write(new Uint8Array(11), 4, new Float32Array(12))).toThrow(RangeError);
    expect(() => normalizer.write(new Uint8Array(12), 4, new Float32Array(12), 1)).toThrow(RangeError);
    // Fewer than four pixels take the byte-by-byte path, where nothing else would notice the short input.
    expect(() => normalizer.write(new Uint8Array(8), 3, new Float32Array(9))).toThrow(
      '8 bytes hold fewer than 3 RGB pixels',
    );
  });

  it('writes encoded values (half-precision bits) from its own tables into a Uint16Array, and only there', () => {
    const pixels = 13;
    const rgb = randomRgb(3 * pixels, 5);
    const half = new ChwNormalizer(config, { type: 'float16' });
    const out = new Uint16Array(3 * pixels);
    half.write(rgb, pixels, out);
    expect([...out]).toEqual([...reference(rgb, pixels)].map(toHalfBits));
    expect(() => half.write(rgb, pixels, new Float32Array(3 * pixels))).toThrow(TypeError);
    expect(() => new ChwNormalizer(config).write(rgb, pixels, new Uint16Array(3 * pixels))).toThrow(TypeError);
  });
});
