import sharp from 'sharp';

/** A PNG of one colour (0..255 per channel). */
export function solidPng(r: number, g: number, b: number, size = 40): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
}

/** A PNG with a deterministic pattern, so it embeds unlike any solid colour. */
export function patternPng(seed: number, size = 40): Promise<Buffer> {
  const pixels = Buffer.from(Array.from({ length: size * size * 3 }, (_, i) => (i * 37 + seed * 101) % 256));
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}
