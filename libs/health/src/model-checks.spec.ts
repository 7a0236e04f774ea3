import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { resolveModel } from '@vectorizer/embedder';
import { checkModel } from './model-checks';
import { DEV_TINY_MODEL_DIR } from '@vectorizer/testing';

const devModelDir = DEV_TINY_MODEL_DIR;

describe('checkModel', () => {
  let emptyDir: string;

  beforeAll(async () => {
    emptyDir = await mkdtemp(join(tmpdir(), 'vectorizer-empty-model-'));
  });

  afterAll(() => rm(emptyDir, { recursive: true, force: true }));

  it('fails with the missing file and a repair hint when MODEL_DIR is empty', async () => {
    const { result, model } = await checkModel(() =>
      resolveModel({ modelDir: emptyDir, dtype: 'fp32', devModelSize: 'tiny' }),
    );
    expect(model).toBeUndefined();
    expect(result.status).toBe('fail');
    expect(result.detail).toContain(emptyDir);
    expect(result.detail).toMatch(/^MODEL_/);
    expect(result.fix).toBeTruthy();
  });

  it('verifies a model directory and reports dimension and dtype', async () => {
    await ensureDevModel({ dir: devModelDir, size: 'tiny' });
    const { result, model } = await checkModel(() =>
      resolveModel({ modelDir: devModelDir, dtype: 'fp32', devModelSize: 'tiny' }),
    );
    expect(model?.dimension).toBeGreaterThan(0);
    expect(result.status).not.toBe('fail');
    expect(result.detail).toContain(`dimension ${model?.dimension}`);
    expect(result.detail).toContain('dtype fp32');
  });
});
