import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '@vectorizer/logger';
import { Embedder } from './embedder';
import { resolveModel, type ResolvedModel } from './model/resolve-model';
import { ensureTinyModel, TINY_MODEL_DIR } from './test-support/tiny-model';

/**
 * Embedding-level parity with the Python pipeline (PIL + exif_transpose + bicubic + rescale +
 * normalize, as transformers' SiglipImageProcessor does) through the same ONNX file. The Pillow
 * scripts belong to libs/images (its pixel-level parity tests); they are run here by path.
 * Needs the apt packages python3-pil and python3-numpy (Debian's /usr/bin/python3).
 */
const PYTHON = '/usr/bin/python3';
const IMAGES_TEST_DIR = resolve(__dirname, '../../images/test');

function python(script: string, args: string[]): void {
  execFileSync(PYTHON, [join(IMAGES_TEST_DIR, script), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

/** The classic mistakes parity must catch: BGR channel order and HWC memory layout. */
function swapRedBlue(chw: Float32Array): Float32Array {
  const plane = chw.length / 3;
  const out = chw.slice();
  out.set(chw.subarray(2 * plane), 0);
  out.set(chw.subarray(0, plane), 2 * plane);
  return out;
}

function chwAsHwc(chw: Float32Array): Float32Array {
  const plane = chw.length / 3;
  const out = new Float32Array(chw.length);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = chw[c * plane + p];
  return out;
}

describe('embedding parity with the Pillow/transformers pipeline', () => {
  let work: string;
  let model: ResolvedModel;
  let embedder: Embedder;
  let fixtures: string[];
  const reference = new Map<string, Float32Array>();

  beforeAll(async () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: apt-get install -y python3-pil python3-numpy`);
    await ensureTinyModel();
    model = await resolveModel({ modelDir: TINY_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' });
    work = await mkdtemp(join(tmpdir(), 'embedding-parity-'));
    const images = join(work, 'images');
    python('make_fixtures.py', [images]);
    fixtures = (await readdir(images)).sort();
    const configPath = join(work, 'preprocessor_config.json');
    await writeFile(configPath, await readFile(join(model.dir, 'preprocessor_config.json')));
    python('reference.py', [configPath, join(work, 'reference'), ...fixtures.map((name) => join(images, name))]);
    for (const name of fixtures) {
      const bytes = await readFile(join(work, 'reference', `${name}.f32`));
      reference.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    }
    const logger = createLogger({ destination: new PassThrough(), format: 'json' });
    embedder = await Embedder.start({
      model,
      device: 'cpu',
      allowCpuFallback: false,
      maxBatchSize: 16,
      threads: 1,
      logger,
    });
  });
  afterAll(async () => {
    await embedder?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('covers EXIF rotation, CMYK, greyscale, 16-bit, palette and alpha fixtures', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining([
        'exif6.jpg',
        'exif3.jpg',
        'cmyk.jpg',
        'gray.jpg',
        'rgb16.png',
        'gray16.png',
        'palette.png',
        'rgba.png',
      ]),
    );
  });

  it('gives cosine >= 0.999 to the Pillow reference on every fixture', async () => {
    const buffers = await Promise.all(fixtures.map((name) => readFile(join(work, 'images', name))));
    const ours = await embedder.embedImages(buffers);
    const theirs = await embedder.embedPixels(fixtures.map((name) => (reference.get(name) as Float32Array).slice()));
    const scores = Object.fromEntries(fixtures.map((name, i) => [name, cosine(ours[i], theirs[i])]));
    // Listing the failures by name makes a regression say which kind of image broke.
    expect(fixtures.filter((name) => !(scores[name] >= 0.999)).map((name) => `${name}: ${scores[name]}`)).toEqual([]);
  });

  it('scores a channel-swapped or HWC tensor far below the parity bar', async () => {
    const pixels = reference.get('photo.jpg') as Float32Array;
    const [good, bgr, hwc] = await embedder.embedPixels([pixels.slice(), swapRedBlue(pixels), chwAsHwc(pixels)]);
    const [ours] = await embedder.embedImages([await readFile(join(work, 'images', 'photo.jpg'))]);
    expect(cosine(ours, good)).toBeGreaterThanOrEqual(0.999);
    expect(cosine(ours, bgr)).toBeLessThan(0.99);
    expect(cosine(ours, hwc)).toBeLessThan(0.99);
  });
});
