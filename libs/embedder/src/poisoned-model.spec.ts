import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import type { Embedder } from './embedder';
import { resolveModel } from './model/resolve-model';
import { patternPng, solidPng } from './test-support/solid-images';
import { startCpuEmbedder } from './test-support/cpu-embedder';

describe('the poisoned dev model (fault tests: NaN for one particular input)', () => {
  let root: string;
  let embedder: Embedder;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'embedder-poison-'));
    const dir = join(root, 'dev-tiny-poison');
    await ensureDevModel({ dir, size: 'tiny', poison: 'black' });
    const model = await resolveModel({ modelDir: dir, dtype: 'fp32', devModelSize: 'tiny' });
    expect(model).toMatchObject({ id: 'vectorizer/dev-siglip-tiny-poison-black', isDevModel: true });
    embedder = await startCpuEmbedder(model);
  });
  afterAll(async () => {
    await embedder?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('gives a non-finite vector for an all-black image and finite unit vectors for the rest of its batch', async () => {
    const [black, red, nearlyBlack, pattern] = await embedder.embedImages([
      await solidPng(0, 0, 0),
      await solidPng(200, 10, 30),
      await solidPng(2, 2, 2),
      await patternPng(3),
    ]);
    expect(black.some((x) => !Number.isFinite(x))).toBe(true);
    for (const vector of [red, nearlyBlack, pattern]) {
      expect(vector.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
  });
});
