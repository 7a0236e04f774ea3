import { toHalfBits } from './half-float';

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
