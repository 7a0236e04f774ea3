import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDevModelMarker } from './dev-model-marker';
import { DEV_MODEL_SIZES } from './dev-model-sizes';
import { VISION_MODEL_FILE, makeDevModel } from './make-dev-model';
import { readWeights, referenceVision } from './siglip-reference.testing';
import { PlainTensor, WorkerSession } from './worker-session.testing';

const { vision } = DEV_MODEL_SIZES.tiny;
const side = vision.imageSize;
const pixelsPerImage = 3 * side * side;
const tokens = (side / vision.patchSize) ** 2;

/** A deterministic, varied image in SigLIP's [-1, 1] pixel range. */
function image(index: number): Float32Array {
  return Float32Array.from({ length: pixelsPerImage }, (_, i) => Math.sin(i * 0.37 + index * 1.7) * 0.9);
}

function batch(images: Float32Array[]): PlainTensor {
  const data = new Float32Array(images.length * pixelsPerImage);
  images.forEach((img, i) => data.set(img, i * pixelsPerImage));
  return { type: 'float32', data, dims: [images.length, 3, side, side] };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('dev model vision tower (tiny)', () => {
  let root: string;
  let session: WorkerSession;

  const run = async (target: WorkerSession, images: Float32Array[]) => {
    const out = await target.run({ pixel_values: batch(images) });
    return { last: out.last_hidden_state, pooled: out.pooler_output };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dev-model-vision-'));
    await makeDevModel({ dir: join(root, 'a'), size: 'tiny', seed: 7 });
    session = await WorkerSession.create(join(root, 'a', VISION_MODEL_FILE));
  });

  afterAll(async () => {
    await session?.release();
    await rm(root, { recursive: true, force: true });
  });

  it('declares SigLIP input/output names and a dynamic batch dimension', () => {
    expect(session.info.inputNames).toEqual(['pixel_values']);
    expect(session.info.outputNames).toEqual(['last_hidden_state', 'pooler_output']);
    expect(session.info.inputShapes[0]).toEqual(['batch_size', 3, side, side]);
  });

  it.each([1, 3])('runs a batch of %i with the right shapes and finite values', async (size) => {
    const { last, pooled } = await run(
      session,
      Array.from({ length: size }, (_, i) => image(i)),
    );
    expect(last.dims).toEqual([size, tokens, vision.hiddenSize]);
    expect(pooled.dims).toEqual([size, vision.hiddenSize]);
    for (const value of [...last.data, ...pooled.data]) expect(Number.isFinite(value)).toBe(true);
    // Not degenerate: the embedding has spread.
    const values = pooled.data;
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(1e-3);
  });

  it('gives each image in a batch the same embedding as alone (the batch reshapes are right)', async () => {
    const images = [image(0), image(1), image(2)];
    const together = (await run(session, images)).pooled.data;
    for (const [i, img] of images.entries()) {
      const alone = (await run(session, [img])).pooled.data;
      expect(maxAbsDiff(together.subarray(i * vision.hiddenSize, (i + 1) * vision.hiddenSize), alone)).toBeLessThan(
        1e-4,
      );
    }
    // …and different images get different embeddings.
    expect(
      maxAbsDiff(together.subarray(0, vision.hiddenSize), together.subarray(vision.hiddenSize, 2 * vision.hiddenSize)),
    ).toBeGreaterThan(1e-3);
  });

  it('computes what SigLIP computes (matches a plain-loop forward pass of the same weights)', async () => {
    const weights = readWeights(join(root, 'a', VISION_MODEL_FILE));
    const images = [image(3), image(4)];
    const { last, pooled } = await run(session, images);
    for (const [i, img] of images.entries()) {
      const expected = referenceVision(weights, vision, img);
      const perImage = tokens * vision.hiddenSize;
      expect(maxAbsDiff(last.data.subarray(i * perImage, (i + 1) * perImage), expected.lastHidden)).toBeLessThan(1e-4);
      expect(
        maxAbsDiff(pooled.data.subarray(i * vision.hiddenSize, (i + 1) * vision.hiddenSize), expected.pooled),
      ).toBeLessThan(1e-4);
    }
  });

  it('mixes tokens through attention: changing one patch changes the other tokens', async () => {
    const original = image(0);
    const edited = original.slice();
    // Overwrite the top-left patch (token 0) in all three channels.
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < vision.patchSize; y++)
        for (let x = 0; x < vision.patchSize; x++)
          edited[c * side * side + y * side + x] = -edited[c * side * side + y * side + x];
    const before = (await run(session, [original])).last.data;
    const after = (await run(session, [edited])).last.data;
    const lastToken = (data: Float32Array) =>
      data.subarray((tokens - 1) * vision.hiddenSize, tokens * vision.hiddenSize);
    expect(maxAbsDiff(lastToken(before), lastToken(after))).toBeGreaterThan(1e-5);
  });

  it('is reproducible from the seed: same seed → identical files, other seed → other embeddings', async () => {
    await makeDevModel({ dir: join(root, 'same'), size: 'tiny', seed: 7 });
    await makeDevModel({ dir: join(root, 'other'), size: 'tiny', seed: 8 });
    const marker = await readDevModelMarker(join(root, 'a'));
    const files = Object.keys(marker?.files ?? {});
    expect(files).toContain(VISION_MODEL_FILE);
    for (const file of files) {
      expect((await readFile(join(root, 'same', file))).equals(await readFile(join(root, 'a', file)))).toBe(true);
    }
    const other = await WorkerSession.create(join(root, 'other', VISION_MODEL_FILE));
    try {
      const mine = (await run(session, [image(0)])).pooled.data;
      const theirs = (await run(other, [image(0)])).pooled.data;
      expect(maxAbsDiff(mine, theirs)).toBeGreaterThan(1e-3);
    } finally {
      await other.release();
    }
  });
});
