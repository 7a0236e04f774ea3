/**
 * CMYK → RGB exactly as Pillow's `convert("RGB")` does it (Convert.c cmyk2rgb): no ICC profile,
 * R = (255 - K) - C * (255 - K) / 255 with Pillow's rounding integer division. libvips would apply
 * a CMYK ICC profile instead, which moves colours by ~0.15 in normalized units on average; this
 * formula reproduces what the model saw in training through transformers.
 */
export function cmykToRgb(cmyk: Buffer, channels: number, pixelCount: number): Buffer {
  const rgb = Buffer.allocUnsafe(pixelCount * 3);
  for (let pixel = 0, src = 0, dst = 0; pixel < pixelCount; pixel++, src += channels, dst += 3) {
    const inverseK = 255 - cmyk[src + 3];
    rgb[dst] = clampedInk(cmyk[src], inverseK);
    rgb[dst + 1] = clampedInk(cmyk[src + 1], inverseK);
    rgb[dst + 2] = clampedInk(cmyk[src + 2], inverseK);
  }
  return rgb;
}

// Pillow's MULDIV255(a, b): a * b / 255, rounded, in integer arithmetic.
function clampedInk(ink: number, inverseK: number): number {
  const product = ink * inverseK + 128;
  return Math.max(0, inverseK - (((product >> 8) + product) >> 8));
}
