import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ApiHarness } from '../test-support/api-harness';
import { describeWithChromium, launchChromium, listenOnLoopback } from '../test-support/browser';
import { patternImage } from '../test-support/catalog-images';
import { seedCatalog } from '../test-support/seed-catalog';
import { createSeededHarness, otherProducts } from '../test-support/seeded-harness';

const ARTIFACTS = join(__dirname, '..', '..', '..', '..', 'test-artifacts');
const describeInBrowser = describeWithChromium('duplicates page');

interface DuplicatesBody {
  model: string;
  threshold: number;
  choice?: { rule: string; distribution: { count: number } };
  groups: { products: { productId: string; imageUrl: string }[] }[];
  pending: number;
  error?: { code: string; message: string };
}

describe('GET /api/duplicates and the duplicates page', () => {
  let harness: ApiHarness;
  let server: Server;
  let baseUrl: string;
  let imageDir: string;

  beforeAll(async () => {
    // Local files, as `vectorizer demo` catalogs them: a browser can only show them through the API.
    imageDir = await mkdtemp(join(tmpdir(), 'vectorizer-dups-'));
    const mug = await patternImage(11);
    const lamp = await patternImage(22);
    // Planted: the same mug photo under two products, the same lamp photo under three.
    const products = [
      { id: 'mug', title: 'Blue mug', image: mug },
      { id: 'mug-copy', title: 'Blue mug (reseller)', image: mug },
      { id: 'lamp', title: 'Desk lamp', image: lamp },
      { id: 'lamp-copy-1', title: 'Desk lamp (shop 1)', image: lamp },
      { id: 'lamp-copy-2', title: 'Desk lamp (shop 2)', image: lamp },
      ...(await otherProducts([3, 4, 5, 6, 7, 8, 9, 10], 97)),
    ];
    const withFiles = await Promise.all(
      products.map(async (p) => {
        const file = join(imageDir, `${p.id}.png`);
        await writeFile(file, p.image);
        return { ...p, imageUrl: pathToFileURL(file).href };
      }),
    );
    harness = await createSeededHarness(async () => withFiles, { imageFileRoots: [imageDir] });
    ({ server, baseUrl } = await listenOnLoopback(harness.app));
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await harness?.close();
    await rm(imageDir, { recursive: true, force: true });
  });

  const get = async (query = '') => {
    const response = await fetch(`${baseUrl}/api/duplicates${query}`);
    return { status: response.status, body: (await response.json()) as DuplicatesBody };
  };
  const groupIds = (body: DuplicatesBody) => body.groups.map((g) => g.products.map((p) => p.productId).sort());

  it('finds the planted groups with an automatic threshold and reports how it was chosen', async () => {
    const { status, body } = await get();
    expect(status).toBe(200);
    expect(body.model).toBe(harness.model.id);
    expect(body.choice).toMatchObject({ rule: 'widest-gap', distribution: { count: 13 } });
    expect(groupIds(body)).toEqual([
      ['lamp', 'lamp-copy-1', 'lamp-copy-2'],
      ['mug', 'mug-copy'],
    ]);
    expect(body.pending).toBe(0);
    // Pictures a browser can load from this origin, as search answers carry them.
    for (const product of body.groups.flatMap((group) => group.products)) {
      expect(product.imageUrl).toBe(`/api/products/${product.productId}/image`);
    }
  });

  it('serves the page from stored links, and keeps them current when a picture changes', async () => {
    const pool = harness.schema.pool;
    const { rows } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM product_neighbours');
    expect(rows[0]?.count).toBeGreaterThan(0);
    // mug-copy gets the lamp's picture: its links and the ones to it go, it is pending, then relinked.
    const encoder = await harness.searchModel.encoder();
    const lampFile = join(imageDir, 'lamp.png');
    await seedCatalog(pool, encoder, [
      {
        id: 'mug-copy',
        title: 'Blue mug (reseller)',
        image: await patternImage(22),
        imageUrl: pathToFileURL(lampFile).href,
      },
    ]);
    const { rows: stale } = await pool.query<{ pending: string[]; links: number }>(
      `SELECT (SELECT array_agg(product_id ORDER BY product_id) FROM product_links_pending) AS pending,
              (SELECT count(*)::int FROM product_neighbours n WHERE n.product_id = 'mug-copy' OR n.neighbour_id = 'mug-copy') AS links`,
    );
    // It, and the products whose lists held it (its mug twin at least), are linked again.
    expect(stale[0]?.links).toBe(0);
    expect(stale[0]?.pending).toEqual(expect.arrayContaining(['mug', 'mug-copy']));
    const { body } = await get();
    expect(groupIds(body)).toEqual([['lamp', 'lamp-copy-1', 'lamp-copy-2', 'mug-copy']]);
  });

  it('takes a threshold given by hand and refuses a malformed one', async () => {
    const given = await get('?threshold=0.999999');
    expect(given.status).toBe(200);
    expect(given.body.threshold).toBe(0.999999);
    expect(given.body.choice).toBeUndefined();
    const bad = await get('?threshold=high');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'SEARCH_INPUT_INVALID' });
    expect(bad.body.error?.message).toContain('threshold must be a cosine similarity');
  });

  describeInBrowser('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('shows each duplicate group with its pictures, and the chosen threshold', async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      await page.goto(`${baseUrl}/duplicates.html`);
      await page.locator('#status', { hasText: 'group(s)' }).waitFor();
      expect(await page.textContent('#status')).toMatch(/\d group\(s\), \d products/);
      expect(await page.textContent('#choice')).toContain('chosen automatically');
      const groups = await page
        .locator('#groups > li')
        .evaluateAll((items) =>
          items.map((item) =>
            [...item.querySelectorAll('[data-product-id]')].map((m) => m.getAttribute('data-product-id')).sort(),
          ),
        );
      expect(groups).toEqual([['lamp', 'lamp-copy-1', 'lamp-copy-2', 'mug-copy']]);
      await page.waitForFunction("Array.from(document.querySelectorAll('#groups img')).every((img) => img.complete)");
      const imagesLoaded = await page.$$eval('#groups img', (images) =>
        images.every((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
      );
      expect(await page.locator('#groups img').count()).toBe(groups.flat().length);
      expect(imagesLoaded).toBe(true);

      // A threshold given by hand replaces the automatic one.
      await page.fill('#threshold', '0.5');
      await page.click('#threshold-form button');
      await page.locator('#choice', { hasText: '(given)' }).waitFor();

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'duplicates-page.png'), fullPage: true });
    });
  });
});
