import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEV_MODEL_MARKER_FILE } from '@vectorizer/images';
import { SIGLIP_FP32_FILES } from '@vectorizer/testing';
import { readDevModelMarker } from './dev-model-marker';
import { devModelId } from './dev-model-sizes';
import { ensureDevModel } from './ensure-dev-model';
import { TEXT_MODEL_FILE, VISION_MODEL_FILE, makeDevModel } from './make-dev-model';
import { WorkerSession } from './worker-session.testing';

const execFileAsync = promisify(execFile);

describe('ensureDevModel', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dev-model-ensure-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function expectCompleteModel(dir: string): Promise<void> {
    const marker = await readDevModelMarker(dir);
    expect(marker).toMatchObject({ modelId: devModelId('tiny'), size: 'tiny', seed: 42, dimension: 64 });
    for (const [file, size] of Object.entries(marker?.files ?? {}))
      expect((await stat(join(dir, file))).size).toBe(size);
    const session = await WorkerSession.create(join(dir, VISION_MODEL_FILE));
    try {
      const out = await session.run({
        pixel_values: { type: 'float32', data: new Float32Array(3 * 32 * 32).fill(0.25), dims: [1, 3, 32, 32] },
      });
      expect(out.pooler_output.dims).toEqual([1, 64]);
    } finally {
      await session.release();
    }
    // No staging directories left behind.
    expect((await readdir(root)).filter((name) => name.includes('staging'))).toEqual([]);
  }

  it('generates once for concurrent callers in one process', async () => {
    const dir = join(root, 'models', 'dev-tiny');
    const results = await Promise.all([1, 2, 3].map(() => ensureDevModel({ dir, size: 'tiny' })));
    expect(results).toEqual([dir, dir, dir]);
    await expectCompleteModel(dir);
  });

  it('is safe when several processes generate the same directory at once', async () => {
    const dir = join(root, 'dev-tiny');
    const script = `require('tsx/cjs');
      require(${JSON.stringify(join(__dirname, 'index.ts'))})
        .ensureDevModel({ dir: process.argv[1], size: 'tiny' })
        .then((d) => process.stdout.write(d), (e) => { console.error(e); process.exit(1); });`;
    const runs = await Promise.all([1, 2, 3].map(() => execFileAsync(process.execPath, ['-e', script, dir])));
    expect(runs.map((r) => r.stdout)).toEqual([dir, dir, dir]);
    await expectCompleteModel(dir);
  });

  it("waits for another process's generation instead of writing a second copy", async () => {
    const dir = join(root, 'dev-tiny');
    // Another process's staging directory, fresh: it is generating right now.
    const staging = join(root, '.dev-tiny.staging-other');
    await mkdir(staging);
    const ensured = ensureDevModel({ dir, size: 'tiny' });
    // Give it time to (wrongly) start its own copy: a generator would create its staging dir at once.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await readdir(root)).toEqual(['.dev-tiny.staging-other']);
    await makeDevModel({ dir: staging, size: 'tiny' });
    await rename(staging, dir);
    const theirs = await stat(join(dir, VISION_MODEL_FILE));
    expect(await ensured).toBe(dir);
    const after = await stat(join(dir, VISION_MODEL_FILE));
    expect([after.ino, after.mtimeMs]).toEqual([theirs.ino, theirs.mtimeMs]);
    await expectCompleteModel(dir);
  });

  it('removes staging directories abandoned by killed processes', async () => {
    const dir = join(root, 'dev-tiny');
    const abandoned = join(root, '.dev-tiny.staging-killed');
    await mkdir(join(abandoned, 'onnx'), { recursive: true });
    await writeFile(join(abandoned, 'onnx', 'vision_model.onnx'), 'half a model');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const path of [join(abandoned, 'onnx', 'vision_model.onnx'), join(abandoned, 'onnx'), abandoned])
      await utimes(path, anHourAgo, anHourAgo);
    await ensureDevModel({ dir, size: 'tiny' });
    await expectCompleteModel(dir);
  });

  it('returns an existing model without rewriting it', async () => {
    const dir = join(root, 'dev-tiny');
    await ensureDevModel({ dir, size: 'tiny' });
    const before = await stat(join(dir, VISION_MODEL_FILE));
    await ensureDevModel({ dir, size: 'tiny' });
    expect((await stat(join(dir, VISION_MODEL_FILE))).mtimeMs).toBe(before.mtimeMs);
  });

  it('regenerates a damaged model', async () => {
    const dir = join(root, 'dev-tiny');
    await ensureDevModel({ dir, size: 'tiny' });
    await truncate(join(dir, TEXT_MODEL_FILE), 100);
    await ensureDevModel({ dir, size: 'tiny' });
    await expectCompleteModel(dir);
  });

  it('replaces a model written by an older generator version', async () => {
    const dir = join(root, 'dev-tiny');
    await ensureDevModel({ dir, size: 'tiny' });
    const markerFile = join(dir, DEV_MODEL_MARKER_FILE);
    const marker = JSON.parse(await readFile(markerFile, 'utf8'));
    await writeFile(markerFile, JSON.stringify({ ...marker, formatVersion: 0 }));
    await ensureDevModel({ dir, size: 'tiny' });
    expect(await readDevModelMarker(dir)).toEqual(marker);
    await expectCompleteModel(dir);
  });

  it('never overwrites a directory that holds something else', async () => {
    const foreign = join(root, 'my-model');
    await mkdir(foreign);
    await writeFile(join(foreign, 'weights.bin'), 'precious');
    await expect(ensureDevModel({ dir: foreign, size: 'tiny' })).rejects.toMatchObject({
      code: 'DEV_MODEL_DIR_CONFLICT',
    });
    expect(await readdir(foreign)).toEqual(['weights.bin']);

    const tiny = join(root, 'dev-tiny');
    await ensureDevModel({ dir: tiny, size: 'tiny' });
    await expect(ensureDevModel({ dir: tiny, size: 'tiny', seed: 1 })).rejects.toMatchObject({
      code: 'DEV_MODEL_DIR_CONFLICT',
    });
    await expect(ensureDevModel({ dir: tiny, size: 'base' })).rejects.toMatchObject({
      code: 'DEV_MODEL_DIR_CONFLICT',
      message: expect.stringContaining('tiny dev model with seed 42'),
    });
  });

  it('rejects bad options with a clear error', async () => {
    const dir = join(root, 'x');
    await expect(ensureDevModel({ dir, size: 'huge' as 'tiny' })).rejects.toMatchObject({
      code: 'DEV_MODEL_INVALID_OPTIONS',
      hint: expect.stringContaining('tiny, base'),
    });
    await expect(ensureDevModel({ dir, size: 'tiny', seed: -1 })).rejects.toMatchObject({
      code: 'DEV_MODEL_INVALID_OPTIONS',
    });
    await expect(ensureDevModel({ dir, size: 'tiny', seed: 1.5 })).rejects.toMatchObject({
      code: 'DEV_MODEL_INVALID_OPTIONS',
    });
    await expect(ensureDevModel({ dir: ' ', size: 'tiny' })).rejects.toMatchObject({
      code: 'DEV_MODEL_INVALID_OPTIONS',
    });
    expect(await readdir(root)).toEqual([]);
  });

  it('adds the fp16 files to an fp32 model on request, keeping the fp32 files byte for byte', async () => {
    const dir = join(root, 'dev-tiny');
    await ensureDevModel({ dir, size: 'tiny' });
    const fp32Before = await readFile(join(dir, VISION_MODEL_FILE));
    await ensureDevModel({ dir, size: 'tiny', dtype: 'fp16' });
    expect(await readFile(join(dir, VISION_MODEL_FILE))).toEqual(fp32Before);
    const marker = await readDevModelMarker(dir);
    expect(marker).toMatchObject({ dtypes: ['fp32', 'fp16'], modelId: devModelId('tiny') });
    // fp16 weights: about half the bytes of the fp32 file.
    const fp16Size = marker?.files['onnx/vision_model_fp16.onnx'] ?? 0;
    expect(fp16Size / fp32Before.length).toBeGreaterThan(0.4);
    expect(fp16Size / fp32Before.length).toBeLessThan(0.6);
    // An fp32 request is then satisfied without a rewrite.
    const before = await stat(join(dir, 'onnx/vision_model_fp16.onnx'));
    await ensureDevModel({ dir, size: 'tiny' });
    expect((await stat(join(dir, 'onnx/vision_model_fp16.onnx'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('keeps a poisoned model apart from the clean one', async () => {
    const dir = join(root, 'dev-tiny-poison');
    await ensureDevModel({ dir, size: 'tiny', poison: 'black' });
    expect(await readDevModelMarker(dir)).toMatchObject({ poison: 'black', modelId: devModelId('tiny', 'black') });
    await expect(ensureDevModel({ dir, size: 'tiny' })).rejects.toMatchObject({
      code: 'DEV_MODEL_DIR_CONFLICT',
      message: expect.stringContaining('poisoned for black images'),
    });
  });

  it('keeps the SigLIP 2-shaped model apart from the SigLIP one, under its own id', async () => {
    const dir = join(root, 'dev-tiny-siglip2');
    await ensureDevModel({ dir, size: 'tiny', family: 'siglip2' });
    expect(await readDevModelMarker(dir)).toMatchObject({ family: 'siglip2', modelId: 'vectorizer/dev-siglip2-tiny' });
    await expect(ensureDevModel({ dir, size: 'tiny' })).rejects.toMatchObject({
      code: 'DEV_MODEL_DIR_CONFLICT',
      message: expect.stringContaining('tiny siglip2 dev model'),
    });
    await expect(ensureDevModel({ dir, size: 'tiny', family: 'siglip3' as 'siglip2' })).rejects.toMatchObject({
      code: 'DEV_MODEL_INVALID_OPTIONS',
    });
  });

  it('refuses a dtype the generator cannot write', async () => {
    await expect(ensureDevModel({ dir: join(root, 'x'), size: 'tiny', dtype: 'q8' })).rejects.toMatchObject({
      code: 'DEV_MODEL_INVALID_OPTIONS',
      hint: expect.stringContaining('fp32 or fp16'),
    });
  });

  it('writes the marker last, naming every file', async () => {
    const dir = join(root, 'dev-tiny');
    await ensureDevModel({ dir, size: 'tiny' });
    const marker = await readDevModelMarker(dir);
    const listed = Object.keys(marker?.files ?? {}).sort();
    expect(listed).toEqual([...SIGLIP_FP32_FILES].sort());
    expect((await readdir(dir)).sort()).toEqual(
      [...listed.filter((f) => !f.startsWith('onnx/')), 'onnx', DEV_MODEL_MARKER_FILE].sort(),
    );
  });
});
