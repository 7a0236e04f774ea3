import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithChromium } from '../test-support/browser';
import { patternImage } from '../test-support/catalog-images';
import { type SeededPage, openSeededPage, otherProducts, textMatchedProduct } from '../test-support/seeded-harness';

const ARTIFACTS = join(__dirname, '..', '..', '..', '..', 'test-artifacts');
const describeInBrowser = describeWithChromium('search page');

const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

describeInBrowser('search page in headless Chromium', () => {
  let catalog: SeededPage;
  let queryImage: Buffer;

  beforeAll(async () => {
    queryImage = await patternImage(11);
    catalog = await openSeededPage(async (encoder) => {
      const products = [
        { id: 'mug', title: 'Blue mug', image: queryImage },
        { id: 'mug-copy', title: 'Blue mug (reseller copy)', image: queryImage },
        ...(await otherProducts([2, 3, 4, 5], 97)),
        await textMatchedProduct(encoder, 'striped wool scarf', {
          id: 'scarf',
          title: 'Striped wool scarf',
          image: await patternImage(1234),
        }),
      ];
      // Data URLs: the page shows real images without another server.
      return products.map((p) => ({ ...p, imageUrl: dataUrl(p.image) }));
    });
  }, 120_000);

  afterAll(() => catalog?.close());

  it('searches by text, by uploaded image, and by clicking a result', async () => {
    const page = await catalog.browser.newPage({ viewport: { width: 1100, height: 800 } });
    const resultIds = () =>
      page.locator('#results li').evaluateAll((items) => items.map((item) => item.getAttribute('data-product-id')));
    const statusSays = (text: string) => page.locator('#status', { hasText: text }).waitFor();
    await page.goto(catalog.baseUrl);
    expect(await page.title()).toContain('vectorizer');
    // The harness searches with the generated dev model: the page must say its results mean nothing.
    await page.locator('#model-notice', { hasText: 'random weights' }).waitFor();

    await page.fill('#text-query', 'striped wool scarf');
    await page.click('#text-form button');
    await statusSays('result(s) for');
    // The answer names the model whose vectors ranked it.
    await statusSays('answered by vectorizer/dev-siglip-tiny');
    expect((await resultIds())[0]).toBe('scarf');
    expect(await page.textContent('#results li:first-child .title')).toBe('Striped wool scarf');

    await page.setInputFiles('#image-file', { name: 'photo.png', mimeType: 'image/png', buffer: queryImage });
    await page.click('#image-form button');
    await statusSays('result(s) like photo.png');
    expect((await resultIds()).slice(0, 2).sort()).toEqual(['mug', 'mug-copy']);
    const imagesLoaded = await page.$$eval('#results img', (images) =>
      images.every((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
    );
    expect(imagesLoaded).toBe(true);

    await page.click('#results li[data-product-id="mug"] button');
    await statusSays('result(s) similar to');
    const similar = await resultIds();
    expect(similar[0]).toBe('mug-copy');
    expect(similar).not.toContain('mug');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'search-page.png'), fullPage: true });
  });

  it("shows the server's error for a file that is not an image", async () => {
    const page = await catalog.browser.newPage();
    await page.goto(catalog.baseUrl);
    await page.setInputFiles('#image-file', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not an image'),
    });
    await page.click('#image-form button');
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toContain('IMAGE_UNSUPPORTED_FORMAT');
  });
});
