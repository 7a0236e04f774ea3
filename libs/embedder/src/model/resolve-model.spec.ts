import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { ensureTinyModel, TINY_MODEL_DIR } from '../test-support/tiny-model';
import { resolveModel } from './resolve-model';

describe('resolveModel', () => {
  let hfHome: string;

  beforeAll(() => ensureTinyModel());
  beforeEach(async () => {
    hfHome = await mkdtemp(join(tmpdir(), 'hf-home-'));
  });
  afterEach(() => rm(hfHome, { recursive: true, force: true }));

  async function cacheSnapshot(modelId: string, revision: string, ref?: string): Promise<string> {
    const repo = join(hfHome, 'hub', `models--${modelId.replace('/', '--')}`);
    const dir = join(repo, 'snapshots', revision);
    await cp(TINY_MODEL_DIR, dir, { recursive: true });
    if (ref) {
      await mkdir(join(repo, 'refs'), { recursive: true });
      await writeFile(join(repo, 'refs', ref), `${revision}\n`);
    }
    return dir;
  }

  it('uses MODEL_DIR first and reads dimension and preprocessing from its files', async () => {
    const dir = await cacheSnapshot('org/plain', 'abc');
    await rm(join(dir, 'vectorizer-dev.json'));
    await cacheSnapshot('org/other', 'abc', 'main');
    const model = await resolveModel({
      modelDir: dir,
      modelId: 'org/other',
      hfHome,
      dtype: 'fp32',
      devModelSize: 'tiny',
    });
    expect(model).toMatchObject({
      dir,
      id: 'org/other',
      isDevModel: false,
      source: { kind: 'local', dir },
      dimension: 64,
      visionModelPath: join(dir, 'onnx/vision_model.onnx'),
      textModelPath: join(dir, 'onnx/text_model.onnx'),
      textPreprocessing: { maxLength: 64, padToken: '</s>', paddingSide: 'right', lowercase: true },
    });
    expect(model.preprocessor.size).toEqual({ height: 32, width: 32 });
  });

  it('recognises a generated dev model under MODEL_DIR and keeps its dev id', async () => {
    const model = await resolveModel({
      modelDir: TINY_MODEL_DIR,
      modelId: 'org/other',
      hfHome,
      dtype: 'fp32',
      devModelSize: 'base',
    });
    expect(model).toMatchObject({
      id: 'vectorizer/dev-siglip-tiny',
      isDevModel: true,
      source: { kind: 'dev', dir: TINY_MODEL_DIR, size: 'tiny' },
    });
  });

  it('finds MODEL_ID in the HF cache through refs/main', async () => {
    await cacheSnapshot('org/tiny', 'old');
    const current = await cacheSnapshot('org/tiny', 'new', 'main');
    const model = await resolveModel({ modelId: 'org/tiny', hfHome, dtype: 'fp32', devModelSize: 'tiny' });
    expect(model).toMatchObject({
      id: 'org/tiny',
      dir: current,
      isDevModel: false,
      source: { kind: 'hub', modelId: 'org/tiny' },
    });
  });

  it('accepts transformers.js’s own cache layout', async () => {
    const cacheDir = join(hfHome, 'transformers-js');
    await cp(TINY_MODEL_DIR, join(cacheDir, 'org', 'tiny'), { recursive: true });
    const model = await resolveModel({
      modelId: 'org/tiny',
      hfHome,
      dtype: 'fp32',
      devModelSize: 'tiny',
      transformersCacheDir: cacheDir,
    });
    expect(model.dir).toBe(join(cacheDir, 'org', 'tiny'));
  });

  it('tells how to download a MODEL_ID that is not cached', async () => {
    await expect(
      resolveModel({ modelId: 'google/siglip-base-patch16-224', hfHome, dtype: 'fp16', devModelSize: 'tiny' }),
    ).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      hint: expect.stringContaining('npx vectorizer model download google/siglip-base-patch16-224 --dtype fp16'),
    });
  });

  it('falls back to the generated dev model under HF_HOME/vectorizer-dev/<size> when the app injects the generator', async () => {
    const model = await resolveModel({ hfHome, dtype: 'fp32', devModelSize: 'tiny', ensureDevModel });
    expect(model).toMatchObject({
      id: 'vectorizer/dev-siglip-tiny',
      dir: join(hfHome, 'vectorizer-dev', 'tiny'),
      isDevModel: true,
      source: { kind: 'dev', size: 'tiny' },
      dimension: 64,
    });
  });

  it('asks for MODEL_DIR or MODEL_ID when nothing is configured and no generator is injected', async () => {
    await expect(resolveModel({ hfHome, dtype: 'fp32', devModelSize: 'tiny' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      hint: expect.stringContaining('MODEL_ID'),
    });
  });

  it('names the dtypes an export has when MODEL_DTYPE picks a missing file', async () => {
    await expect(
      resolveModel({ modelDir: TINY_MODEL_DIR, hfHome, dtype: 'q8', devModelSize: 'tiny' }),
    ).rejects.toMatchObject({
      code: 'MODEL_FILE_MISSING',
      message: expect.stringContaining('vision_model_quantized.onnx'),
      hint: expect.stringContaining('MODEL_DTYPE fp32'),
    });
  });

  it('rejects a MODEL_DIR that does not exist', async () => {
    await expect(
      resolveModel({ modelDir: join(hfHome, 'nope'), hfHome, dtype: 'fp32', devModelSize: 'tiny' }),
    ).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
  });
});
