import { float16BitsToFloat32, float32ToFloat16Bits } from './float16';

describe('float16 conversion', () => {
  it('round-trips values that half precision represents exactly', () => {
    const exact = new Float32Array([0, -0, 1, -2, 0.5, 1024, 65504, -65504, 2 ** -14, 2 ** -24, 0.333251953125]);
    expect(Array.from(float16BitsToFloat32(float32ToFloat16Bits(exact)))).toEqual(Array.from(exact));
  });

  it('uses the IEEE bit patterns', () => {
    expect(Array.from(float32ToFloat16Bits(new Float32Array([1, -2, 65504, Infinity, -Infinity])))).toEqual([
      0x3c00, 0xc000, 0x7bff, 0x7c00, 0xfc00,
    ]);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(new Float32Array([NaN])))[0])).toBe(true);
  });

  it('rounds to the nearest half value and saturates overflow to infinity', () => {
    const [nearOne, tiny, huge] = float16BitsToFloat32(float32ToFloat16Bits(new Float32Array([1.0004, 1e-9, 1e6])));
    expect(nearOne).toBe(1);
    expect(tiny).toBe(0);
    expect(huge).toBe(Infinity);
    const third = float16BitsToFloat32(float32ToFloat16Bits(new Float32Array([1 / 3])))[0];
    expect(Math.abs(third - 1 / 3)).toBeLessThan(2 ** -11);
  });
});
