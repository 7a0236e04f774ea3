import { float32ToHalfBits, halfBitsToFloat32, toHalfBits } from './half-float';

describe('toHalfBits', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite half
    [65520, 0x7c00], // rounds up past it → Inf
    [Infinity, 0x7c00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // below half of it → zero
    [1 + 2 ** -11, 0x3c00], // tie → even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
    [0.1, 0x2e66],
  ])('%p → %p', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
  });

  it('keeps NaN a NaN', () => {
    const bits = toHalfBits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x3ff).not.toBe(0);
  });
});

describe('float32 ↔ half arrays', () => {
  it('round-trips values that half precision represents exactly', () => {
    const exact = new Float32Array([0, -0, 1, -2, 0.5, 1024, 65504, -65504, 2 ** -14, 2 ** -24, 0.333251953125]);
    expect(Array.from(halfBitsToFloat32(float32ToHalfBits(exact)))).toEqual(Array.from(exact));
  });

  it('uses the IEEE bit patterns', () => {
    expect(Array.from(float32ToHalfBits(new Float32Array([1, -2, 65504, Infinity, -Infinity])))).toEqual([
      0x3c00, 0xc000, 0x7bff, 0x7c00, 0xfc00,
    ]);
    expect(Number.isNaN(halfBitsToFloat32(float32ToHalfBits(new Float32Array([NaN])))[0])).toBe(true);
  });

  it('rounds to the nearest half value and saturates overflow to infinity', () => {
    const [nearOne, tiny, huge] = halfBitsToFloat32(float32ToHalfBits(new Float32Array([1.0004, 1e-9, 1e6])));
    expect(nearOne).toBe(1);
    expect(tiny).toBe(0);
    expect(huge).toBe(Infinity);
    const third = halfBitsToFloat32(float32ToHalfBits(new Float32Array([1 / 3])))[0];
    expect(Math.abs(third - 1 / 3)).toBeLessThan(2 ** -11);
  });
});
