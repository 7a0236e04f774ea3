import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { photoLikeJpeg } from '../test/photo-like';
import { FIXTURE_NAMES, differences, makeFixtures, referenceTensors } from '../test/pillow-reference';
import { siglipConfigJson } from '../test/siglip-config';
import { ImageError, parsePreprocessorConfig, preprocessImage, type DecodeLimits } from './index';

// A SigLIP-style config with deliberately unequal, non-square numbers so that a swapped
// height/width or a shared mean/std would show up.
const CONFIG_JSON = siglipConfigJson({ height: 96, width: 128 }, [0.48, 0.46, 0.41], [0.27, 0.26, 0.28]);
const config = parsePreprocessorConfig(CONFIG_JSON);
const limits: DecodeLimits = { maxBytes: 10_000_000, maxPixels: 5_000_000, timeoutMs: 10_000 };
const H = config.size.height;
const W = config.size.width;

// With these std values one 8-bit level is ~0.0145. Measured against Pillow 9.4 (Debian bookworm):
// mean |diff| 0.0013-0.0083 (under 0.6 level), max 0.060-0.087 (4-6 levels, where the JPEG
// decoders disagree and where libvips shrinks a large image through a box prefilter). The bounds
// sit above that yet below every real bug met while building this: premultiplied alpha (rgba.png
// max 3.3, palette.png max 0.16), ICC-managed CMYK (mean 0.27), JPEG shrink-on-load (max 0.116).
const MAX_MEAN_ABS = 0.012;
const MAX_ABS = 0.1;
// fast mode trades exactness for CPU on JPEGs ≥ 2x the target: a DCT-scaled decode differs by
// about one level on average; embedding-level parity (cosine ≥ 0.999) is measured by bench:feed.
const FAST_MAX_MEAN_ABS = 0.03;

async function expectImageError(work: Promise<unknown>, code: string): Promise<ImageError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageError);
  expect((error as ImageError).code).toBe(code);
  expect((error as ImageError).retryable).toBe(false);
  return error as ImageError;
}

describe('preprocessImage', () => {
  let dir: string;
  let fixtures: string[];
  let reference: Map<string, Float32Array>;
  const bytesOf = (name: string) => readFileSync(join(dir, name));
  const referenceFor = (name: string): Float32Array => {
    const tensor = reference.get(name);
    if (!tensor) throw new Error(`no reference tensor for ${name}`);
    return tensor;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vectorizer-images-'));
    fixtures = makeFixtures(dir);
    reference = referenceTensors(
      CONFIG_JSON,
      fixtures.map((name) => join(dir, name)),
      dir,
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([...FIXTURE_NAMES])('matches the Pillow/transformers reference for %s', async (name) => {
    const pixels = await preprocessImage(bytesOf(name), config, limits);
    expect(pixels).toBeInstanceOf(Float32Array);
    expect(pixels.length).toBe(3 * H * W);
    const { maxAbs, meanAbs } = differences(pixels, referenceFor(name));
    console.log(`${name}: max abs ${maxAbs.toFixed(4)}, mean abs ${meanAbs.toFixed(5)}`);
    expect(meanAbs).toBeLessThan(MAX_MEAN_ABS);
    expect(maxAbs).toBeLessThan(MAX_ABS);
  });

  it('is far from the reference when the layout is wrong (HWC or BGR), so the parity check can fail', async () => {
    const pillow = referenceFor('photo.jpg');
    const chw = await preprocessImage(bytesOf('photo.jpg'), config, limits);
    const plane = H * W;
    const hwc = new Float32Array(chw.length);
    const bgr = new Float32Array(chw.length);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) hwc[i * 3 + c] = chw[c * plane + i];
    }
    bgr.set(chw.subarray(2 * plane), 0);
    bgr.set(chw.subarray(plane, 2 * plane), plane);
    bgr.set(chw.subarray(0, plane), 2 * plane);
    expect(differences(hwc, pillow).meanAbs).toBeGreaterThan(20 * MAX_MEAN_ABS);
    expect(differences(bgr, pillow).meanAbs).toBeGreaterThan(20 * MAX_MEAN_ABS);
  });

  it('keeps the colour under transparent pixels instead of flattening them (as Pillow convert("RGB"))', async () => {
    // rgba.png: the left quarter has alpha 0 but real colours; a flatten would make it black or white.
    const pixels = await preprocessImage(bytesOf('rgba.png'), config, limits);
    const pillow = referenceFor('rgba.png');
    const flattened = await preprocessImage(
      await sharp(bytesOf('rgba.png')).flatten({ background: '#000000' }).png().toBuffer(),
      config,
      limits,
    );
    expect(differences(pixels, pillow).meanAbs).toBeLessThan(MAX_MEAN_ABS);
    expect(differences(flattened, pillow).meanAbs).toBeGreaterThan(10 * MAX_MEAN_ABS);
  });

  it('applies EXIF orientation: the rotated files match the upright reference, not the stored pixels', async () => {
    const stored = await preprocessImage(bytesOf('photo.jpg'), config, limits);
    const rotated = await preprocessImage(bytesOf('exif3.jpg'), config, limits);
    expect(differences(rotated, referenceFor('exif3.jpg')).meanAbs).toBeLessThan(MAX_MEAN_ABS);
    expect(differences(rotated, stored).meanAbs).toBeGreaterThan(10 * MAX_MEAN_ABS);
  });

  it('decodes AVIF (no Pillow reference: compares with the same pixels as PNG)', async () => {
    const png = bytesOf('photo.tiff');
    const avif = await sharp(png).avif({ lossless: true }).toBuffer();
    const fromAvif = await preprocessImage(avif, config, limits);
    const { meanAbs } = differences(fromAvif, referenceFor('photo.tiff'));
    expect(meanAbs).toBeLessThan(MAX_MEAN_ABS);
  });

  describe('resize: fast (libjpeg DCT scaling on large JPEGs)', () => {
    const fast = { ...limits, resize: 'fast' as const };

    it.each([...FIXTURE_NAMES])('stays close to the Pillow reference for %s', async (name) => {
      const { maxAbs, meanAbs } = differences(await preprocessImage(bytesOf(name), config, fast), referenceFor(name));
      console.log(`fast ${name}: max abs ${maxAbs.toFixed(4)}, mean abs ${meanAbs.toFixed(5)}`);
      expect(meanAbs).toBeLessThan(FAST_MAX_MEAN_ABS);
    });

    it('is a different decode from exact on a photo-like JPEG at least 3x the target (so the mode takes effect)', async () => {
      const photo = await photoLikeJpeg({ width: 1000, height: 1000, seed: 3 });
      const exact = await preprocessImage(photo, config, limits);
      const scaled = await preprocessImage(photo, config, fast);
      const { meanAbs, maxAbs } = differences(scaled, exact);
      console.log(`photo-like 1000px fast vs exact: max abs ${maxAbs.toFixed(4)}, mean abs ${meanAbs.toFixed(5)}`);
      expect(maxAbs).toBeGreaterThan(0);
      expect(meanAbs).toBeLessThan(FAST_MAX_MEAN_ABS);
    });

    it('DCT-scales a JPEG between 2x and 3x the target too, where sharp alone decodes in full', async () => {
      // 2.03x the target's longer side: libjpeg decodes at 1/2 (sharp's own shrink-on-load starts at 3x).
      const photo = await photoLikeJpeg({ width: 320, height: 260, seed: 5 });
      const exact = await preprocessImage(photo, config, limits);
      const scaled = await preprocessImage(photo, config, fast);
      const { meanAbs, maxAbs } = differences(scaled, exact);
      console.log(`photo-like 320x260 fast vs exact: max abs ${maxAbs.toFixed(4)}, mean abs ${meanAbs.toFixed(5)}`);
      expect(maxAbs).toBeGreaterThan(0);
      expect(meanAbs).toBeLessThan(FAST_MAX_MEAN_ABS);
    });
  });

  it('takes every number from the config (size, mean, std)', async () => {
    const other = parsePreprocessorConfig({
      ...CONFIG_JSON,
      size: { height: 32, width: 48 },
      image_mean: 0,
      image_std: 1,
    });
    const pixels = await preprocessImage(bytesOf('photo.jpg'), other, limits);
    expect(pixels.length).toBe(3 * 32 * 48);
    expect(Math.min(...pixels)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
  });

  describe('limits and bad input (all permanent)', () => {
    it('refuses more bytes than maxBytes before decoding', async () => {
      await expectImageError(
        preprocessImage(bytesOf('large.jpg'), config, { ...limits, maxBytes: 1000 }),
        'IMAGE_TOO_LARGE',
      );
    });

    it('refuses a 30000x30000 PNG bomb from its header, without decoding it', async () => {
      const bomb = pngBomb(30_000, 30_000);
      expect(bomb.length).toBeLessThan(2000);
      const error = await expectImageError(preprocessImage(bomb, config, limits), 'IMAGE_TOO_MANY_PIXELS');
      expect(error.message).toContain('30000x30000');
    });

    it('refuses images just over maxPixels', async () => {
      await expectImageError(
        preprocessImage(bytesOf('photo.jpg'), config, { ...limits, maxPixels: 320 * 240 - 1 }),
        'IMAGE_TOO_MANY_PIXELS',
      );
    });

    it.each([
      ['empty input', Buffer.alloc(0), 'IMAGE_EMPTY'],
      [
        'SVG',
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
        'IMAGE_UNSUPPORTED_FORMAT',
      ],
      ['HTML', Buffer.from('<!doctype html><html><body>Not found</body></html>'), 'IMAGE_UNSUPPORTED_FORMAT'],
      ['plain text', Buffer.from('hello, this is not an image'), 'IMAGE_UNSUPPORTED_FORMAT'],
      [
        'HEIC',
        Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic')]),
        'IMAGE_UNSUPPORTED_FORMAT',
      ],
    ])('refuses %s before it reaches the decoder', async (_name, bytes, code) => {
      await expectImageError(preprocessImage(bytes, config, limits), code);
    });

    it('reports a truncated JPEG as corrupt', async () => {
      const whole = bytesOf('photo.jpg');
      await expectImageError(
        preprocessImage(whole.subarray(0, Math.floor(whole.length / 2)), config, limits),
        'IMAGE_CORRUPT',
      );
    });

    it('reports a truncated PNG as corrupt', async () => {
      const whole = bytesOf('portrait.png');
      await expectImageError(
        preprocessImage(whole.subarray(0, Math.floor(whole.length / 2)), config, limits),
        'IMAGE_CORRUPT',
      );
    });

    it('tolerates a benign libjpeg warning (extraneous bytes before a marker), as Pillow does', async () => {
      const whole = bytesOf('photo.jpg');
      const startOfScan = whole.indexOf(Buffer.from([0xff, 0xda]));
      const withJunk = Buffer.concat([
        whole.subarray(0, startOfScan),
        Buffer.from([0, 0, 0]),
        whole.subarray(startOfScan),
      ]);
      const pixels = await preprocessImage(withJunk, config, limits);
      expect(differences(pixels, referenceFor('photo.jpg')).meanAbs).toBeLessThan(MAX_MEAN_ABS);
    });

    it('reports garbage behind a valid signature as corrupt', async () => {
      const garbage = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.alloc(64, 7),
      ]);
      await expectImageError(preprocessImage(garbage, config, limits), 'IMAGE_CORRUPT');
    });

    it('gives up after timeoutMs', async () => {
      const slow = await sharp({
        create: {
          width: 3000,
          height: 3000,
          channels: 3,
          background: '#000',
          noise: { type: 'gaussian', mean: 128, sigma: 40 },
        },
      })
        .png({ compressionLevel: 0 })
        .toBuffer();
      await expectImageError(
        preprocessImage(slow, config, { ...limits, maxBytes: 100_000_000, maxPixels: 10_000_000, timeoutMs: 1 }),
        'IMAGE_DECODE_TIMEOUT',
      );
    });
  });
});

/**
 * A tiny PNG whose header claims `width x height` RGB pixels, with only the first rows of (zero)
 * pixel data: decoding it would allocate width * height * 3 bytes before noticing the truncation.
 */
function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const firstRows = deflateSync(Buffer.alloc((1 + width * 3) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', firstRows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
  return Buffer.concat([length, Buffer.from(type), data, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
