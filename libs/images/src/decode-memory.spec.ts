import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { photoLikeRgb } from '../test/photo-like';
import { decodeMemoryEstimate } from './decode-memory';
import { readHeader as readImageHeader } from './decode';

const MiB = 1024 * 1024;
// 40 MP, the size the issue names; 7300 x 5480 keeps a camera's 4:3-ish shape.
const WIDTH = 7300;
const HEIGHT = 5480;
// libvips' operation cache (sharp.cache: 50 MB by default) is per process, not per decode.
const SHARP_CACHE_BYTES = 50 * MiB;
const CHILD = join(__dirname, '..', 'test', 'decode-peak-rss.ts');

interface ChildReport {
  baseline: number;
  peak: number;
  maxEstimate: number;
}

describe('decode memory (40 MP CMYK and RGBA images, decoded in a child process)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vectorizer-decode-rss-'));
    // A photo-like scene scaled up to 40 MP: real texture without generating 40 MP of noise.
    const scene = sharp(await photoLikeRgb({ width: 1200, height: 900, seed: 11 }), {
      raw: { width: 1200, height: 900, channels: 3 },
    }).resize(WIDTH, HEIGHT, { fit: 'fill', kernel: 'linear' });
    const cmyk = await scene.clone().toColourspace('cmyk').jpeg({ quality: 85 }).toBuffer();
    const cmykProgressive = await scene
      .clone()
      .toColourspace('cmyk')
      .jpeg({ quality: 85, progressive: true })
      .toBuffer();
    const rgba = await scene.clone().ensureAlpha(0.5).png({ compressionLevel: 1 }).toBuffer();
    for (const [name, bytes] of Object.entries({
      'cmyk.jpg': cmyk,
      'cmyk-progressive.jpg': cmykProgressive,
      'rgba.png': rgba,
    }))
      writeFileSync(join(dir, name), bytes);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function decodeInChild(names: string[]): ChildReport {
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, 'exact', ...names.map((n) => join(dir, n))], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildReport;
  }

  it('estimates from the header: a baseline RGB JPEG streams; alpha, CMYK and progressive cost full frames', async () => {
    const target = { width: 384, height: 384 };
    const { readFileSync } = await import('node:fs');
    const estimate = async (name: string) =>
      decodeMemoryEstimate(await readImageHeader(readFileSync(join(dir, name)), { maxPixels: 50_000_000 }), target);
    const rgb = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#468' } })
      .jpeg()
      .toBuffer();
    const streamed = decodeMemoryEstimate(await readImageHeader(rgb, { maxPixels: 50_000_000 }), target);
    expect(streamed).toBeLessThan(64 * MiB);
    expect(await estimate('rgba.png')).toBeGreaterThanOrEqual(streamed + WIDTH * HEIGHT * 3);
    expect(await estimate('cmyk.jpg')).toBeGreaterThanOrEqual(streamed + WIDTH * HEIGHT * 4);
    expect(await estimate('cmyk-progressive.jpg')).toBeGreaterThanOrEqual(streamed + WIDTH * HEIGHT * 12);
  });

  it.each([['cmyk.jpg'], ['rgba.png'], ['cmyk-progressive.jpg']])(
    'peak RSS while decoding %s stays under decodeMemoryEstimate + the sharp cache',
    (name) => {
      const report = decodeInChild([name]);
      const grew = report.peak - report.baseline;
      console.log(
        `${name}: peak RSS ${(report.peak / MiB).toFixed(0)} MiB, grew ${(grew / MiB).toFixed(0)} MiB over the baseline ` +
          `${(report.baseline / MiB).toFixed(0)} MiB; estimate ${(report.maxEstimate / MiB).toFixed(0)} MiB`,
      );
      expect(grew).toBeLessThanOrEqual(report.maxEstimate + SHARP_CACHE_BYTES);
    },
    180_000,
  );
});
