import type { Embedder } from '../embedder';
import { resolveModel } from '../model/resolve-model';
import { ensureTinyModel, TINY_MODEL_DIR } from '../test-support/tiny-model';
import { startCpuEmbedder } from '../test-support/cpu-embedder';

/** A distinct, deterministic image per seed. */
const image = (seed: number) => new Float32Array(3 * 32 * 32).map((_, i) => Math.sin(i * 0.01 * (seed + 1)));

/**
 * The inference thread sends each batch's input buffer back and the next batch (full or partial)
 * is packed into it: every vector must still be the one its own image gives alone.
 */
describe('batch input buffers reused across batches', () => {
  let embedder: Embedder;

  beforeAll(async () => {
    await ensureTinyModel();
    const model = await resolveModel({ modelDir: TINY_MODEL_DIR, dtype: 'fp32', devModelSize: 'tiny' });
    embedder = await startCpuEmbedder(model);
  });
  afterAll(() => embedder.close());

  it('gives each image its own vector through full, partial and single batches in any order', async () => {
    const images = Array.from({ length: 7 }, (_, seed) => image(seed));
    const alone: Float32Array[] = [];
    for (const one of images) alone.push(...(await embedder.embedPixels([one.slice()])));
    for (const group of [images, images.slice(1, 4), images.slice(5), images.slice(2, 6), [images[6]], images]) {
      const vectors = await embedder.embedPixels(group.map((one) => one.slice()));
      vectors.forEach((vector, i) => {
        const expected = alone[images.indexOf(group[i])];
        for (let d = 0; d < vector.length; d += 1) expect(vector[d]).toBeCloseTo(expected[d], 5);
      });
    }
  });

  it('leaves the caller its images untouched (they are copied, not transferred)', async () => {
    const images = [image(1), image(2), image(3)];
    const copies = images.map((one) => one.slice());
    await embedder.embedPixels(images);
    await embedder.embedPixels(images.slice(0, 2));
    images.forEach((one, i) => expect(one).toEqual(copies[i]));
  });
});
