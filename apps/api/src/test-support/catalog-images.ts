import { createHash } from 'node:crypto';
import sharp from 'sharp';

/**
 * A distinct PNG per seed: a noise pattern, so the tiny model's embeddings differ between
 * images (flat colours would look alike to a random-weight network).
 */
export async function patternImage(seed: number, size = 48): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3);
  let state = (seed * 2_654_435_761) >>> 0 || 1;
  for (let i = 0; i < pixels.length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    pixels[i] = state & 0xff;
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
