/**
 * Test child: decodes each file named on the command line (sequentially, through preprocessImage
 * with the worker's limits) and prints one JSON line: baseline and peak RSS, and the largest
 * decodeMemoryEstimate of the files. Runs in its own process so the peak is this decode's alone.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { parsePreprocessorConfig, preprocessImage } from '../src/index';
import { decodeMemoryEstimate } from '../src/decode-memory';
import { readHeader as readImageHeader } from '../src/decode';
import { siglipConfigJson } from './siglip-config';

const config = parsePreprocessorConfig(siglipConfigJson({ height: 384, width: 384 }, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]));
const mode = process.argv[2] === 'fast' ? 'fast' : 'exact';
const limits = { maxBytes: 200_000_000, maxPixels: 50_000_000, timeoutMs: 120_000, resize: mode } as const;

async function main(): Promise<void> {
  const files = process.argv.slice(3).map((path) => readFileSync(path));
  // Warm sharp and libvips on a small image so the baseline includes the libraries themselves.
  const small = await sharp({ create: { width: 800, height: 600, channels: 4, background: '#8a4' } })
    .png()
    .toBuffer();
  await preprocessImage(small, config, limits);
  let maxEstimate = 0;
  for (const bytes of files) {
    maxEstimate = Math.max(maxEstimate, decodeMemoryEstimate(await readImageHeader(bytes, limits), config.size));
  }
  const baseline = process.memoryUsage.rss();
  const baselinePeak = process.resourceUsage().maxRSS * 1024;
  for (const bytes of files) await preprocessImage(bytes, config, limits);
  const peak = process.resourceUsage().maxRSS * 1024;
  const filesBytes = files.reduce((sum, f) => sum + f.length, 0);
  console.log(JSON.stringify({ baseline, baselinePeak, peak, maxEstimate, filesBytes }));
}

void main();
