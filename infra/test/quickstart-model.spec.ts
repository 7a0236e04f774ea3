import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevModel } from '@vectorizer/dev-model';
import { DEV_TINY_MODEL_DIR } from '@vectorizer/testing';

const repoRoot = join(__dirname, '..', '..');
const script = join(repoRoot, 'infra', 'scripts', 'quickstart-model.sh');

function runScript(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A hub-shaped server: /{org}/{name}/resolve/{revision}/{file} from the generated tiny model. */
function startHub(modelDir: string, requests: string[]): Promise<Server> {
  const hub = createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = /^\/org\/tiny\/resolve\/main\/(.+)$/.exec(req.url ?? '')?.[1];
    // The generated model has one graph per tower; it stands in for the quantized export too.
    const path = file ? join(modelDir, decodeURIComponent(file).replace('_quantized.onnx', '.onnx')) : '';
    if (!file || !existsSync(path)) return void res.writeHead(404).end();
    res.writeHead(200, { 'x-repo-commit': 'c0ffee' }).end(readFileSync(path));
  });
  return new Promise((resolve) => hub.listen(0, '127.0.0.1', () => resolve(hub)));
}

describe('infra/scripts/quickstart-model.sh', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vectorizer-quickstart-model-'));
    await ensureDevModel({ dir: DEV_TINY_MODEL_DIR, size: 'tiny' });
  }, 60_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('offline: falls back to the dev model and says so in one line', async () => {
    const result = await runScript({
      QUICKSTART_MODEL: 'org/tiny',
      HF_HOME: join(work, 'hf-offline'),
      // Nothing listens on port 1: the hub is unreachable.
      HF_ENDPOINT: 'http://127.0.0.1:1/',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const fallback = result.stderr.split('\n').filter((line) => line.includes('dev model'));
    expect(fallback).toEqual([expect.stringMatching(/could not be fetched .*: using the generated dev model instead/)]);
  }, 60_000);

  it('online: downloads the model into the cache once and exports MODEL_ID for the demo', async () => {
    const requests: string[] = [];
    const hub = await startHub(DEV_TINY_MODEL_DIR, requests);
    try {
      const env = {
        QUICKSTART_MODEL: 'org/tiny',
        HF_HOME: join(work, 'hf-online'),
        HF_ENDPOINT: `http://127.0.0.1:${(hub.address() as AddressInfo).port}/`,
      };
      const first = await runScript(env);
      expect(first.code).toBe(0);
      expect(first.stdout.trim()).toBe('export MODEL_ID=org/tiny MODEL_DTYPE=q8');
      const snapshot = join(env.HF_HOME, 'hub', 'models--org--tiny', 'snapshots', 'c0ffee');
      expect(existsSync(join(snapshot, 'onnx', 'vision_model_quantized.onnx'))).toBe(true);
      expect(requests.length).toBeGreaterThan(0);

      // A second quick start finds the verified copy and asks the hub nothing.
      requests.length = 0;
      const second = await runScript(env);
      expect(second.stdout.trim()).toBe('export MODEL_ID=org/tiny MODEL_DTYPE=q8');
      expect(requests).toEqual([]);
    } finally {
      await new Promise<void>((done) => hub.close(() => done()));
    }
  }, 120_000);
});
