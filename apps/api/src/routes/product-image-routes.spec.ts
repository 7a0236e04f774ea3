import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProductsRepository } from '@vectorizer/store';
import request from 'supertest';
import type { ApiHarness } from '../test-support/api-harness';
import { patternImage } from '../test-support/catalog-images';
import { createSeededHarness } from '../test-support/seeded-harness';

let harness: ApiHarness;
let root: string;
let outside: string;
let image: Buffer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vectorizer-image-root-'));
  outside = await mkdtemp(join(tmpdir(), 'vectorizer-image-outside-'));
  image = await patternImage(5);
  await writeFile(join(root, 'inside.png'), image);
  await writeFile(join(outside, 'secret.png'), image);
  // A link inside the root to a file outside it is still outside.
  await symlink(join(outside, 'secret.png'), join(root, 'link.png'));
  const fileUrl = (path: string) => pathToFileURL(path).href;
  harness = await createSeededHarness(
    async () => [
      { id: 'local', title: 'Local', image, imageUrl: fileUrl(join(root, 'inside.png')) },
      { id: 'local-copy', title: 'Local copy', image, imageUrl: fileUrl(join(root, 'inside.png')) },
    ],
    { imageFileRoots: [root] },
  );
  await new ProductsRepository(harness.schema.pool).upsertMany([
    { id: 'remote', title: 'Remote', imageUrl: 'https://img.test/remote.png' },
    { id: 'outside', title: 'Outside', imageUrl: fileUrl(join(outside, 'secret.png')) },
    { id: 'linked', title: 'Linked', imageUrl: fileUrl(join(root, 'link.png')) },
  ]);
}, 120_000);

afterAll(async () => {
  await harness.close();
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('GET /api/products/:id/image', () => {
  it("serves a file:// image under an allowed root, and search results point at it instead of the server's path", async () => {
    const res = await request(harness.app).get('/api/products/local/image').expect(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(res.body as Buffer, image)).toBe(0);
    const similar = await request(harness.app).get('/api/products/local/similar?k=1').expect(200);
    expect(similar.body.results[0]).toMatchObject({
      productId: 'local-copy',
      imageUrl: '/api/products/local-copy/image',
    });
  });

  it('redirects to an http(s) image', async () => {
    const res = await request(harness.app).get('/api/products/remote/image').expect(302);
    expect(res.headers.location).toBe('https://img.test/remote.png');
  });

  it('refuses a file outside every root, also through a symlink, without naming the path', async () => {
    for (const id of ['outside', 'linked']) {
      const res = await request(harness.app).get(`/api/products/${id}/image`).expect(404);
      expect(res.body.error).toMatchObject({
        code: 'PRODUCT_IMAGE_UNAVAILABLE',
        hint: expect.stringContaining('IMAGE_FILE_ROOT'),
      });
      expect(JSON.stringify(res.body)).not.toContain(outside);
    }
  });

  it('answers 404 PRODUCT_NOT_FOUND for an unknown product', async () => {
    const res = await request(harness.app).get('/api/products/nope/image').expect(404);
    expect(res.body.error.code).toBe('PRODUCT_NOT_FOUND');
    // The same answer, hint included, as every other route that looks a product up.
    const similar = await request(harness.app).get('/api/products/nope/similar').expect(404);
    expect(res.body.error).toEqual(similar.body.error);
    expect(res.body.error.hint).toContain('Ingest the product first');
  });
});

describe('GET /api/model', () => {
  it('says whether searches answer with the random-weight dev model', async () => {
    const res = await request(harness.app).get('/api/model').expect(200);
    expect(res.body).toEqual({ id: harness.model.id, devModel: true, dimension: harness.model.dimension });
  });
});
