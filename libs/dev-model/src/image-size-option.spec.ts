import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDevModelMarker } from './dev-model-marker';
import { ensureDevModel } from './ensure-dev-model';
import { VISION_MODEL_FILE } from './make-dev-model';
import { WorkerSession } from './worker-session.testing';

describe('dev model imageSize option (tiny at 384 px for feeding benchmarks)', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dev-model-image-size-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('takes 384 px input with the tiny token grid, under its own model id', async () => {
    const dir = join(root, 'tiny-384');
    await ensureDevModel({ dir, size: 'tiny', imageSize: 384 });
    const marker = await readDevModelMarker(dir);
    expect(marker).toMatchObject({ modelId: 'vectorizer/dev-siglip-tiny-384px', imageSize: 384, dimension: 64 });
    const preprocessor = JSON.parse(await readFile(join(dir, 'preprocessor_config.json'), 'utf8'));
    expect(preprocessor.size).toEqual({ height: 384, width: 384 });
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.vision_config).toMatchObject({ image_size: 384, patch_size: 96 });
    const session = await WorkerSession.create(join(dir, VISION_MODEL_FILE));
    try {
      const out = await session.run({
        pixel_values: { type: 'float32', data: new Float32Array(2 * 3 * 384 * 384).fill(0.1), dims: [2, 3, 384, 384] },
      });
      expect(out.pooler_output.dims).toEqual([2, 64]);
    } finally {
      await session.release();
    }
  });

  it('never mistakes a directory of another input size for the requested model', async () => {
    const dir = join(root, 'tiny');
    await ensureDevModel({ dir, size: 'tiny' });
    await expect(ensureDevModel({ dir, size: 'tiny', imageSize: 384 })).rejects.toMatchObject({
      code: 'DEV_MODEL_DIR_CONFLICT',
    });
  });

  it.each([102, 0, 383.5, 8192])(
    'refuses imageSize %p (not a multiple of the grid side, or too large)',
    async (imageSize) => {
      await expect(ensureDevModel({ dir: join(root, 'bad'), size: 'tiny', imageSize })).rejects.toMatchObject({
        code: 'DEV_MODEL_INVALID_OPTIONS',
      });
    },
  );
});
