import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../test-support/run-cli';

describe('vectorizer model', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-model-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('make-dev writes a model that verify then accepts', async () => {
    const dir = join(work, 'dev');
    const made = await runCli(['model', 'make-dev', dir, '--size', 'tiny']);
    expect(made.code).toBe(0);
    const verified = await runCli(['model', 'verify', '--model-dir', dir]);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ dir, onnxRuntime: 'loads and runs' });
  });

  it('verify fails with one fatal line naming the damaged file and the fix', async () => {
    const dir = join(work, 'damaged');
    expect((await runCli(['model', 'make-dev', dir, '--size', 'tiny'])).code).toBe(0);
    await writeFile(join(dir, 'onnx/vision_model.onnx'), 'truncated');
    const { code, stderr } = await runCli(['model', 'verify', '--model-dir', dir]);
    // 78: a broken model is a permanent failure (the registry's exit code for MODEL_FILE_CORRUPT).
    expect(code).toBe(78);
    const fatal = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.level === 'fatal');
    expect(fatal).toMatchObject({
      code: 'MODEL_FILE_CORRUPT',
      msg: expect.stringContaining(join(dir, 'onnx/vision_model.onnx')),
    });
    expect(fatal?.hint).toEqual(expect.any(String));
  });

  it('info reports the dev model loudly when nothing is configured', async () => {
    const { code, stdout, stderr } = await runCli(['model', 'info'], { HF_HOME: join(work, 'hf') });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ id: 'vectorizer/dev-siglip-tiny', isDevModel: true, dimension: 64 });
    expect(stderr).toContain('dev model vectorizer/dev-siglip-tiny (random weights): results mean nothing');
  });

  it('download fetches from HF_ENDPOINT into HF_HOME, and MODEL_ID then resolves to it', async () => {
    const source = join(work, 'source');
    expect((await runCli(['model', 'make-dev', source, '--size', 'tiny'])).code).toBe(0);
    // Serves the hub's /{org}/{name}/resolve/{revision}/{file} URLs from the generated model.
    const hub = createServer((req, res) => {
      const file = /^\/org\/tiny\/resolve\/main\/(.+)$/.exec(req.url ?? '')?.[1];
      const path = file ? join(source, decodeURIComponent(file)) : '';
      if (!file || !existsSync(path)) return void res.writeHead(404).end();
      res.writeHead(200, { 'x-repo-commit': 'c0ffee' }).end(readFileSync(path));
    });
    await new Promise<void>((done) => hub.listen(0, '127.0.0.1', done));
    try {
      const env = {
        HF_HOME: join(work, 'hf-download'),
        HF_ENDPOINT: `http://127.0.0.1:${(hub.address() as AddressInfo).port}/`,
      };
      const downloaded = await runCli(['model', 'download', 'org/tiny', '--dtype', 'fp32', '--no-text'], env);
      expect(downloaded.code).toBe(0);
      const snapshot = join(env.HF_HOME, 'hub', 'models--org--tiny', 'snapshots', 'c0ffee');
      expect(JSON.parse(downloaded.stdout)).toMatchObject({ modelId: 'org/tiny', dir: snapshot, revision: 'c0ffee' });
      expect(existsSync(join(snapshot, 'onnx/text_model.onnx'))).toBe(false);

      const info = await runCli(['model', 'info'], { ...env, MODEL_ID: 'org/tiny' });
      expect(JSON.parse(info.stdout)).toMatchObject({
        id: 'org/tiny',
        dir: snapshot,
        isDevModel: false,
        textModel: null,
      });

      // fetch asks for the text tower unless --no-text: a vision-only copy in the cache is not enough.
      const visionOnly = await runCli(['model', 'fetch', 'org/tiny', '--dtype', 'fp32', '--no-text'], env);
      expect(JSON.parse(visionOnly.stdout)).toMatchObject({ modelId: 'org/tiny', cached: true });
      const withText = await runCli(['model', 'fetch', 'org/tiny', '--dtype', 'fp32'], env);
      expect(withText.code).toBe(0);
      expect(JSON.parse(withText.stdout)).not.toHaveProperty('cached');
      expect(existsSync(join(snapshot, 'onnx/text_model.onnx'))).toBe(true);
    } finally {
      await new Promise<void>((done) => hub.close(() => done()));
    }
  });
});
