import { describeWithChromium } from '../test-support/browser';
import { patternImage } from '../test-support/catalog-images';
import { type SeededPage, openSeededPage } from '../test-support/seeded-harness';

const describeInBrowser = describeWithChromium('filter page');

/** The page's attribute filter applies to every kind of search, and a malformed one shows the server's 400. */
describeInBrowser('search page attribute filter in headless Chromium', () => {
  let catalog: SeededPage;
  let queryImage: Buffer;

  beforeAll(async () => {
    queryImage = await patternImage(11);
    catalog = await openSeededPage(() =>
      Promise.all(
        [1, 2, 3, 4, 5, 6].map(async (seed) => ({
          id: `${seed % 2 === 0 ? 'shoe' : 'bag'}-${seed}`,
          title: `Product ${seed}`,
          image: seed === 1 ? queryImage : await patternImage(seed * 97),
          attributes: { category: seed % 2 === 0 ? 'shoes' : 'bags' },
        })),
      ),
    );
  }, 120_000);

  afterAll(() => catalog?.close());

  it('keeps only matching products in text, image and similar searches', async () => {
    const page = await catalog.browser.newPage();
    // The products' image URLs point nowhere; the test reads ids, not pictures.
    await page.route('https://img.test/**', (route) => route.abort());
    const resultIds = () =>
      page.locator('#results li').evaluateAll((items) => items.map((item) => item.getAttribute('data-product-id')));
    const statusSays = (text: string) => page.locator('#status', { hasText: text }).waitFor();
    await page.goto(catalog.baseUrl);

    await page.fill('#filter-input', '{"category":"shoes"}');
    await page.fill('#text-query', 'running shoes');
    await page.click('#text-form button');
    await statusSays('3 result(s) for');
    expect((await resultIds()).sort()).toEqual(['shoe-2', 'shoe-4', 'shoe-6']);

    await page.setInputFiles('#image-file', { name: 'photo.png', mimeType: 'image/png', buffer: queryImage });
    await page.click('#image-form button');
    await statusSays('3 result(s) like photo.png');
    expect((await resultIds()).sort()).toEqual(['shoe-2', 'shoe-4', 'shoe-6']);

    await page.fill('#filter-input', '{"category":"bags"}');
    await page.click('#results li[data-product-id="shoe-2"] button');
    await statusSays('3 result(s) similar to');
    expect((await resultIds()).sort()).toEqual(['bag-1', 'bag-3', 'bag-5']);

    await page.fill('#filter-input', 'category=shoes');
    await page.click('#text-form button');
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toContain('SEARCH_FILTER_INVALID: filter is not valid JSON');
  });
});
