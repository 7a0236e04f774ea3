import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGLIP_FP32_FILES } from '@vectorizer/testing';
import { ensureTinyModel, TINY_MODEL_DIR } from '../test-support/tiny-model';
import { downloadModel, hubFileUrl } from './download';
import { resolveModel } from './resolve-model';
import { verifyModel } from './verify-model';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** Mimics the hub's /{org}/{name}/resolve/{revision}/{file} URLs, serving the tiny dev model as org/tiny. */
function startHub(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (!match) return void res.writeHead(400).end();
    const [, org, name, , file] = match;
    const path = join(TINY_MODEL_DIR, decodeURIComponent(file));
    if (`${org}/${name}` === 'org/truncated' && file.endsWith('.onnx')) {
      // Announce the whole file, send half, drop the connection: an interrupted download.
      const body = readFileSync(path);
      res.writeHead(200, { 'content-length': body.length, 'x-repo-commit': COMMIT });
      res.write(body.subarray(0, body.length / 2));
      return void setImmediate(() => res.destroy());
    }
    if (!['org/tiny', 'org/truncated'].includes(`${org}/${name}`) || !existsSync(path))
      return void res.writeHead(404).end('Entry not found');
    const body = readFileSync(path);
    res.writeHead(200, { 'content-length': body.length, 'x-repo-commit': COMMIT }).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests }),
    ),
  );
}

describe('downloadModel', () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  let hfHome: string;

  beforeAll(async () => {
    await ensureTinyModel();
    hub = await startHub();
  });
  afterAll(() => new Promise<void>((resolve) => hub.server.close(() => resolve())));
  beforeEach(async () => {
    hfHome = await mkdtemp(join(tmpdir(), 'hf-home-'));
  });
  afterEach(() => rm(hfHome, { recursive: true, force: true }));

  it('builds hub URLs the way transformers.js does', () => {
    expect(
      hubFileUrl(
        'https://huggingface.co/',
        '{model}/resolve/{revision}/',
        'google/siglip',
        'refs/pr/1',
        'onnx/vision_model.onnx',
      ),
    ).toBe('https://huggingface.co/google/siglip/resolve/refs%2Fpr%2F1/onnx/vision_model.onnx');
  });

  it('downloads into the huggingface_hub layout with a manifest that MODEL_ID resolution and verification accept', async () => {
    const result = await downloadModel({ modelId: 'org/tiny', hfHome, dtype: 'fp32', remoteHost: hub.url });
    expect(result.dir).toBe(join(hfHome, 'hub', 'models--org--tiny', 'snapshots', COMMIT));
    expect((await readFile(join(hfHome, 'hub', 'models--org--tiny', 'refs', 'main'), 'utf8')).trim()).toBe(COMMIT);
    expect(result.manifest.files.map((f) => f.path).sort()).toEqual([...SIGLIP_FP32_FILES].sort());
    expect(await readFile(join(result.dir, 'onnx/vision_model.onnx'))).toEqual(
      await readFile(join(TINY_MODEL_DIR, 'onnx/vision_model.onnx')),
    );
    expect(hub.requests).toContain('/org/tiny/resolve/main/onnx/vision_model.onnx_data');

    const resolved = await resolveModel({ modelId: 'org/tiny', hfHome, dtype: 'fp32', devModelSize: 'tiny' });
    expect(resolved).toMatchObject({ id: 'org/tiny', dir: result.dir, isDevModel: false, dimension: 64 });
    expect(resolved.textModelPath).toBe(join(result.dir, 'onnx/text_model.onnx'));
    const verified = await verifyModel({
      dir: result.dir,
      requiredFiles: [],
      source: resolved.source,
      hashPolicy: 'always',
    });
    expect(verified.files).toHaveLength(7);
  });

  it('fails with MODEL_DOWNLOAD_FAILED naming the URL when a required file is not on the hub', async () => {
    await expect(
      downloadModel({ modelId: 'org/tiny', hfHome, dtype: 'fp16', remoteHost: hub.url }),
    ).rejects.toMatchObject({
      code: 'MODEL_DOWNLOAD_FAILED',
      message: expect.stringContaining(`${hub.url}org/tiny/resolve/main/onnx/vision_model_fp16.onnx`),
    });
    expect(existsSync(join(hfHome, 'hub', 'models--org--tiny', 'snapshots'))).toBe(false);
  });

  it('fails with MODEL_DOWNLOAD_FAILED naming the URL when the hub is unreachable', async () => {
    const closed = await startHub();
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    await expect(
      downloadModel({ modelId: 'org/tiny', hfHome, dtype: 'fp32', remoteHost: closed.url }),
    ).rejects.toMatchObject({
      code: 'MODEL_DOWNLOAD_FAILED',
      message: expect.stringMatching(
        /Could not reach the model hub \(ECONNREFUSED\).*\/org\/tiny\/resolve\/main\/config\.json/,
      ),
    });
  });

  it('discards an interrupted transfer instead of leaving a partial file', async () => {
    await expect(
      downloadModel({ modelId: 'org/truncated', hfHome, dtype: 'fp32', remoteHost: hub.url }),
    ).rejects.toMatchObject({
      code: 'MODEL_DOWNLOAD_FAILED',
      message: expect.stringContaining('onnx/vision_model.onnx'),
    });
    expect(existsSync(join(hfHome, 'hub', 'models--org--truncated', 'snapshots'))).toBe(false);
  });
});
