/**
 * `node --import tsx libs/embedder/bench/dtype.ts [--size base|tiny] [--batch 8] [--rounds 4] [--threads N] [--json FILE]`
 *
 * fp16 against fp32 on this machine's CPU, on one dev model written at both precisions from the
 * same seed (tmp/models/dev-<size>-fp16 holds onnx/vision_model.onnx and onnx/vision_model_fp16.onnx):
 *   - speed: img/s of each through the Embedder, batches alternating between the two sessions so
 *     background load hits both alike; the fp32 rate is the reference (ratio = fp16 / fp32);
 *   - agreement: cosine of each image's fp16 embedding to its fp32 embedding (min and mean).
 * Prints a table and, with --json, writes {"benchmark":"dtype","figures":[…]}.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureDevModel } from '@vectorizer/dev-model';
import { createLogger } from '@vectorizer/logger';
import { Embedder } from '../src/embedder';
import type { ModelDtype } from '../src/model/model-files';
import { resolveModel } from '../src/model/resolve-model';
import type { BenchFigure } from './support/bench-json';

/** The dev models' input side (their preprocessor_config.json). */
const DEV_MODEL_IMAGE_SIDE = { tiny: 32, base: 224 } as const;

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1] : fallback;
}

const size = argument('size', 'base') as 'tiny' | 'base';
const batch = Number(argument('batch', '8'));
const rounds = Number(argument('rounds', process.argv.includes('--quick') ? '2' : '4'));
const threads = Number(argument('threads', String(availableParallelism())));
const jsonFile = argument('json', '');

/** Smooth gradients under noise, in SigLIP's normalized [-1, 1] range. */
function images(count: number, side: number): Float32Array[] {
  return Array.from({ length: count }, (_, n) => {
    const pixels = new Float32Array(3 * side * side);
    let state = n + 1;
    for (let i = 0; i < pixels.length; i++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      const x = (i % side) / side;
      const y = (Math.floor(i / side) % side) / side;
      const channel = Math.floor(i / (side * side));
      pixels[i] = Math.max(
        -1,
        Math.min(1, Math.sin(3 * x + 2 * y + channel + n) * 0.7 + ((state >> 16) / 32768 - 1) * 0.3),
      );
    }
    return pixels;
  });
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

async function main(): Promise<void> {
  const dir = resolve(__dirname, `../../../tmp/models/dev-${size}-fp16`);
  await ensureDevModel({ dir, size, dtype: 'fp16' });
  const logger = createLogger({ level: 'warn', format: 'json', destination: process.stderr });
  const start = async (dtype: ModelDtype) =>
    Embedder.start({
      model: await resolveModel({ modelDir: dir, dtype, devModelSize: size }),
      device: 'cpu',
      allowCpuFallback: false,
      maxBatchSize: batch,
      threads,
      logger,
    });
  const fp32 = await start('fp32');
  const fp16 = await start('fp16');
  try {
    const height = DEV_MODEL_IMAGE_SIDE[size];
    const inputs = images(batch, height);
    const vectors: Record<'fp32' | 'fp16', Float32Array[]> = { fp32: [], fp16: [] };
    const seconds = { fp32: 0, fp16: 0 };
    // One untimed batch each (first-run allocations), then alternate.
    for (const embedder of [fp32, fp16]) await embedder.embedPixels(inputs.map((p) => p.slice()));
    for (let round = 0; round < rounds; round++) {
      for (const [name, embedder] of [
        ['fp32', fp32],
        ['fp16', fp16],
      ] as const) {
        const started = performance.now();
        const out = await embedder.embedPixels(inputs.map((p) => p.slice()));
        seconds[name] += (performance.now() - started) / 1000;
        if (round === 0) vectors[name] = out;
      }
    }
    const rate = { fp32: (batch * rounds) / seconds.fp32, fp16: (batch * rounds) / seconds.fp16 };
    const cosines = vectors.fp16.map((v, i) => cosine(v, vectors.fp32[i]));
    const note = `dev-${size} seed 42, batch ${batch}, ${threads} ORT threads, CPU, ${rounds} alternating rounds`;
    const figures: BenchFigure[] = [
      { name: 'fp32 img/s', value: rate.fp32, unit: 'img/s', note },
      {
        name: 'fp16 img/s',
        value: rate.fp16,
        unit: 'img/s',
        ceiling: rate.fp32,
        ratio: rate.fp16 / rate.fp32,
        note: 'ceiling = fp32 on the same model, same run',
      },
      {
        name: 'fp16 vs fp32 cosine (min)',
        value: Math.min(...cosines),
        unit: 'cosine',
        note: `${cosines.length} images`,
      },
      {
        name: 'fp16 vs fp32 cosine (mean)',
        value: cosines.reduce((sum, c) => sum + c, 0) / cosines.length,
        unit: 'cosine',
      },
    ];
    for (const f of figures)
      console.log(
        `${f.name.padEnd(30)} ${f.value.toFixed(f.unit === 'cosine' ? 8 : 2).padStart(10)} ${f.unit}${f.ratio === undefined ? '' : `   ${f.ratio.toFixed(3)} x fp32`}`,
      );
    console.log(note);
    if (jsonFile) await writeFile(jsonFile, `${JSON.stringify({ benchmark: 'dtype', figures }, null, 2)}\n`);
  } finally {
    await fp32.close();
    await fp16.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
