import { statSync } from 'node:fs';
import { appendFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyTinyModel } from '../test-support/tiny-model';
import { writeManifest } from '../test-support/write-manifest';
import { readManifest } from './manifest';
import { verifyModel } from './verify-model';

const FILES = ['config.json', 'preprocessor_config.json', 'onnx/vision_model.onnx'];
const source = { kind: 'hub' as const, modelId: 'org/tiny', dtype: 'fp32' as const };

describe('verifyModel', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await copyTinyModel());
    await writeManifest(dir, { modelId: 'org/tiny', dtype: 'fp32' }, FILES);
  });
  afterEach(() => cleanup());

  it('accepts files matching the manifest and hashes them', async () => {
    const result = await verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'always' });
    expect(result.hasManifest).toBe(true);
    expect(result.files.map((f) => [f.path, f.hashed])).toEqual(FILES.map((path) => [path, true]));
    expect((await readManifest(dir))?.files[2].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names a missing file and the re-download command', async () => {
    await rm(join(dir, 'onnx/vision_model.onnx'));
    await expect(verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'always' })).rejects.toMatchObject({
      code: 'MODEL_FILE_MISSING',
      message: expect.stringContaining(join(dir, 'onnx/vision_model.onnx')),
      hint: expect.stringContaining('npx vectorizer model download org/tiny --dtype fp32'),
    });
  });

  it('reports a partial download by size, before hashing', async () => {
    await truncate(join(dir, 'onnx/vision_model.onnx'), 1000);
    await expect(verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'never' })).rejects.toMatchObject({
      code: 'MODEL_FILE_INCOMPLETE',
      message: expect.stringMatching(/vision_model\.onnx is 1000 bytes but the manifest says \d+/),
    });
  });

  it('reports a changed byte as a sha256 mismatch', async () => {
    const file = join(dir, 'config.json');
    const { size } = statSync(file);
    await writeFile(file, 'x'.repeat(size));
    await expect(verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'always' })).rejects.toMatchObject({
      code: 'MODEL_FILE_CORRUPT',
      message: expect.stringContaining('config.json has sha256'),
    });
  });

  it('when-changed skips unchanged files on the next start but re-hashes a touched one', async () => {
    const first = await verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'when-changed' });
    expect(first.files.every((f) => f.hashed)).toBe(true);
    const second = await verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'when-changed' });
    expect(second.files.some((f) => f.hashed)).toBe(false);

    const onnxFile = join(dir, 'onnx/vision_model.onnx');
    await appendFile(onnxFile, Buffer.alloc(0));
    await utimes(onnxFile, new Date(), new Date(Date.now() + 5_000));
    const third = await verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'when-changed' });
    expect(third.files.filter((f) => f.hashed).map((f) => f.path)).toEqual(['onnx/vision_model.onnx']);
  });

  it('without a manifest checks that the required files exist', async () => {
    await rm(join(dir, 'vectorizer-manifest.json'));
    await rm(join(dir, 'preprocessor_config.json'));
    await expect(
      verifyModel({ dir, requiredFiles: FILES, source: { kind: 'local', dir }, hashPolicy: 'always' }),
    ).rejects.toMatchObject({
      code: 'MODEL_FILE_MISSING',
      hint: expect.stringContaining(`replace ${dir}`),
    });
  });

  it('rejects a malformed manifest with a clear error', async () => {
    await writeFile(join(dir, 'vectorizer-manifest.json'), '{"modelId":"x","files":[]}');
    await expect(verifyModel({ dir, requiredFiles: FILES, source, hashPolicy: 'always' })).rejects.toMatchObject({
      code: 'MODEL_MANIFEST_INVALID',
    });
  });
});
