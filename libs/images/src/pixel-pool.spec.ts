import { rgbToNormalizedChw } from './chw';
import { recyclePixels, takePixelBuffer } from './pixel-pool';
import type { PreprocessorConfig } from './preprocessor-config';

const config = {
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
} as unknown as PreprocessorConfig;

describe('pixel pool', () => {
  it('hands a recycled array back for the same length only', () => {
    const first = takePixelBuffer(300);
    recyclePixels([first]);
    expect(takePixelBuffer(301)).not.toBe(first);
    expect(takePixelBuffer(300)).toBe(first);
    expect(takePixelBuffer(300)).not.toBe(first);
  });

  it('never hands out a transferred (detached) array or a view on a larger buffer', () => {
    const detached = new Float32Array(12);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const view = new Float32Array(new ArrayBuffer(24 * 4), 0, 12);
    recyclePixels([detached, view]);
    const fresh = takePixelBuffer(12);
    expect(fresh).not.toBe(view);
    expect(fresh.byteLength).toBe(48);
  });

  it('recycled arrays are fully overwritten: rgbToNormalizedChw gives the same tensor as a fresh one', () => {
    const rgb = Buffer.from(Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 37) % 256));
    const expected = rgbToNormalizedChw(rgb, 16, config);
    const dirty = takePixelBuffer(48).fill(Number.NaN);
    recyclePixels([dirty]);
    const reused = rgbToNormalizedChw(rgb, 16, config);
    expect(reused).toBe(dirty);
    expect(reused).toEqual(expected);
  });
});
