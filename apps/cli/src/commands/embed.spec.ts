import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ensureDevModel } from '@vectorizer/dev-model';
import { TINY_DEV_MODEL_DIR as TINY_MODEL, runCli } from '../test-support/run-cli';

describe('vectorizer embed', () => {
  let work: string;
  let image: string;
  let text: string;
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    await ensureDevModel({ dir: TINY_MODEL, size: 'tiny' });
    work = await mkdtemp(join(tmpdir(), 'cli-embed-'));
    image = join(work, 'shoe.jpg');
    text = join(work, 'notes.txt');
    await sharp({ create: { width: 120, height: 80, channels: 3, background: { r: 10, g: 120, b: 200 } } })
      .jpeg()
      .toFile(image);
    await writeFile(text, 'not an image at all\n');
    const jpeg = await readFile(image);
    server = createServer((req, res) => {
      if (req.url === '/shoe.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    await rm(work, { recursive: true, force: true });
  });

  it('prints one JSON line per input, in order, and exits 1 when any input failed', async () => {
    const missing = join(work, 'missing.jpg');
    const url = `${baseUrl}/shoe.jpg`;
    const gone = `${baseUrl}/gone.jpg`;
    const { code, stdout, stderr } = await runCli(
      ['embed', '--model-dir', TINY_MODEL, '--json', image, url, text, missing, gone],
      {
        IMAGE_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.input)).toEqual([image, url, text, missing, gone]);

    expect(lines[0]).toMatchObject({ input: image, dim: 64 });
    const embedding = lines[0].embedding as number[];
    expect(embedding).toHaveLength(64);
    expect(Math.sqrt(embedding.reduce((sum, x) => sum + x * x, 0))).toBeCloseTo(1, 5);
    // The same bytes over HTTP give the same embedding.
    expect(lines[1]).toMatchObject({ input: url, dim: 64 });
    expect((lines[1].embedding as number[]).reduce((sum, x, i) => sum + x * embedding[i], 0)).toBeCloseTo(1, 5);

    expect(lines[2]).toEqual({
      input: text,
      error: { code: expect.stringMatching(/^IMAGE_/), message: expect.any(String) },
    });
    expect(lines[3]).toEqual({
      input: missing,
      error: { code: 'FILE_NOT_FOUND', message: expect.stringContaining(missing) },
    });
    expect(lines[4]).toEqual({
      input: gone,
      error: { code: expect.stringMatching(/404|NOT_FOUND/), message: expect.any(String) },
    });
    expect(code).toBe(1);
    expect(stderr).toContain('embedder ready');
  });

  it('exits 0 when every input embedded', async () => {
    const { code, stdout } = await runCli(['embed', '--model-dir', TINY_MODEL, image]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ input: image, dim: 64 });
  });
});
