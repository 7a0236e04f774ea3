import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Test-only bridge to the Pillow reference (Debian's python3-pil + python3-numpy, run with
 * /usr/bin/python3, not a pyenv python that lacks them). Used by the preprocessing parity tests;
 * an embedding-level parity test can reuse it: make fixtures, compute reference tensors, run both
 * through the model and compare cosine similarity.
 */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const HERE = __dirname;

function runPython(script: string, args: string[]): void {
  if (!existsSync(SYSTEM_PYTHON)) {
    throw new Error(
      `${SYSTEM_PYTHON} is missing: install the parity reference with apt-get install -y python3-pil python3-numpy`,
    );
  }
  try {
    execFileSync(SYSTEM_PYTHON, [join(HERE, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`${script} failed (needs apt packages python3-pil python3-numpy): ${stderr}`, { cause: error });
  }
}

/** The file names make_fixtures.py writes, known before it runs so tests can be listed per fixture. */
export const FIXTURE_NAMES: readonly string[] = [
  'photo.jpg',
  'large.jpg',
  'exif6.jpg',
  'exif3.jpg',
  'cmyk.jpg',
  'gray.jpg',
  'palette.png',
  'rgba.png',
  'rgb16.png',
  'gray16.png',
  'photo.webp',
  'photo.gif',
  'photo.tiff',
  'portrait.png',
];

/** Writes the synthetic fixture images (see make_fixtures.py) into `dir`; returns their file names. */
export function makeFixtures(dir: string): string[] {
  runPython('make_fixtures.py', [dir]);
  return [...FIXTURE_NAMES];
}

/** Pillow/transformers pixel tensors (float32 CHW) for `images`, keyed by file name. */
export function referenceTensors(config: object, images: string[], workDir: string): Map<string, Float32Array> {
  const configPath = join(workDir, 'reference-config.json');
  const outDir = join(workDir, 'reference');
  writeFileSync(configPath, JSON.stringify(config));
  runPython('reference.py', [configPath, outDir, ...images]);
  return new Map(
    images.map((image) => {
      const bytes = readFileSync(join(outDir, `${basename(image)}.f32`));
      return [
        basename(image),
        new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      ];
    }),
  );
}

export function differences(actual: Float32Array, expected: Float32Array): { maxAbs: number; meanAbs: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxAbs = 0;
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    sum += diff;
    if (diff > maxAbs) maxAbs = diff;
  }
  return { maxAbs, meanAbs: sum / actual.length };
}
