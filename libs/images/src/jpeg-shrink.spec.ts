import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { jpegShrinkFactor, withScaledJpeg } from './jpeg-shrink';

describe('jpegShrinkFactor', () => {
  const target = { width: 384, height: 384 };

  it.each([
    [767, 1000, 1],
    [768, 768, 2],
    [1000, 1000, 2],
    [1536, 2000, 4],
    [3071, 4000, 4],
    [3072, 3072, 8],
    [20000, 20000, 8],
  ])('%ix%i → 1/%i', (width, height, factor) => {
    expect(jpegShrinkFactor({ width, height }, target)).toBe(factor);
  });

  it('judges by the shorter side against the longer target side (an EXIF rotation cannot make it too small)', () => {
    expect(jpegShrinkFactor({ width: 2000, height: 700 }, { width: 350, height: 300 })).toBe(2);
  });
});

describe('withScaledJpeg', () => {
  it('decodes at 1/factor scale from a scratch file, removed afterwards', async () => {
    const jpeg = await sharp({ create: { width: 200, height: 120, channels: 3, background: '#3a6' } })
      .jpeg()
      .toBuffer();
    let scratchFile = '';
    const size = await withScaledJpeg(jpeg, 4, async (input) => {
      scratchFile = input.replace(/\[.*\]$/, '');
      expect(readdirSync(dirname(scratchFile))).toContain(scratchFile.slice(dirname(scratchFile).length + 1));
      const { info } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
      return [info.width, info.height];
    });
    expect(size).toEqual([50, 30]);
    expect(readdirSync(dirname(scratchFile))).not.toContain(scratchFile.slice(dirname(scratchFile).length + 1));
  });

  it('removes the scratch file when the decode fails', async () => {
    let scratchFile = '';
    await expect(
      withScaledJpeg(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 2]), 2, async (input) => {
        scratchFile = input.replace(/\[.*\]$/, '');
        await sharp(input).raw().toBuffer();
      }),
    ).rejects.toThrow();
    expect(readdirSync(dirname(scratchFile))).not.toContain(scratchFile.slice(dirname(scratchFile).length + 1));
  });
});
