import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');

function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/vectorizer.js'), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_FORMAT: 'json',
        VECTORIZER_DEVICE: 'cpu',
        INFERENCE_THREADS: '1',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

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
    expect(code).toBe(1);
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
    expect(stderr).toContain('USING THE GENERATED DEV MODEL');
  });
});
