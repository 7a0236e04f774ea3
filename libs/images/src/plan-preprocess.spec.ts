import sharp from 'sharp';
import { decodeMemoryEstimate } from './decode-memory';
import { parsePreprocessorConfig, planPreprocess, preprocessImage, type DecodeLimits } from './index';
import { readHeader as readImageHeader } from './decode';
import { rgbToNormalizedChw } from './chw';
import { siglipConfigJson } from '../test/siglip-config';

const config = parsePreprocessorConfig(siglipConfigJson({ height: 32, width: 40 }, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]));
const limits: DecodeLimits = { maxBytes: 5_000_000, maxPixels: 1_000_000, timeoutMs: 10_000 };

const png = (width: number, height: number, channels: 3 | 4) =>
  sharp({ create: { width, height, channels, background: { r: 90, g: 140, b: 30, alpha: 0.5 } } })
    .png()
    .toBuffer();

describe('planPreprocess', () => {
  it("weighs the decode from the header, then decodes to the model's size in RGB that normalizes to preprocessImage's tensor", async () => {
    const bytes = await png(600, 400, 4);
    const plan = await planPreprocess(bytes, config, limits);
    const header = await readImageHeader(bytes, limits);
    expect(plan.memoryBytes).toBe(decodeMemoryEstimate(header, config.size));
    // Alpha is dropped at full size, so the estimate counts the frame.
    expect(plan.memoryBytes).toBeGreaterThan(600 * 400 * 3);
    const rgb = await plan.run();
    expect({ width: rgb.width, height: rgb.height, bytes: rgb.data.length }).toEqual({
      width: 40,
      height: 32,
      bytes: 40 * 32 * 3,
    });
    expect(rgbToNormalizedChw(rgb.data, 40 * 32, config)).toEqual(await preprocessImage(bytes, config, limits));
  });

  it('refuses a decompression bomb, an oversized file and an unknown format before any pixel is decoded', async () => {
    await expect(planPreprocess(await png(1200, 1000, 3), config, limits)).rejects.toMatchObject({
      code: 'IMAGE_TOO_MANY_PIXELS',
    });
    await expect(planPreprocess(await png(100, 100, 3), config, { ...limits, maxBytes: 10 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
    });
    await expect(planPreprocess(Buffer.from('GIF87a-not-really'), config, limits)).rejects.toMatchObject({
      code: expect.stringMatching(/^IMAGE_/),
    });
  });
});
