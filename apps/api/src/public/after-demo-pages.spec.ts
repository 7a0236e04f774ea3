// The first run, as a person meets it: `vectorizer demo` embeds its catalog and exits, then every page
// of the API is opened in a real Chromium — search by words, by picture, similar products, duplicates —
// and every picture on each must have loaded (the demo's images are file:// URLs that no browser loads
// from an http page: the API serves them itself).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  DEV_TINY_MODEL_DIR,
  TEST_REDIS_URL,
  createTestDatabase,
  uniquePrefix,
  type TestDatabase,
} from '@vectorizer/testing';
import { type ApiHarness, createApiHarness } from '../test-support/api-harness';
import { describeWithChromium, openInChromium } from '../test-support/browser';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const describeInBrowser = describeWithChromium('pages after the demo');
const PRODUCTS = 30;

/** Runs the real `vectorizer demo` and resolves once its process has exited. */
function runDemo(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'vectorizer.js'), 'demo', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The src of every picture in `selector`, and whether each loaded with real pixels. */
async function pictures(page: Page, selector: string): Promise<{ src: string | null; loaded: boolean }[]> {
  await page.waitForFunction(
    `Array.from(document.querySelectorAll(${JSON.stringify(selector)})).every((img) => img.complete)`,
  );
  return page.$$eval(selector, (images) =>
    images.map((img) => ({
      src: img.getAttribute('src'),
      loaded: (img as unknown as { naturalWidth: number }).naturalWidth > 0,
    })),
  );
}

function expectAllLoaded(found: { src: string | null; loaded: boolean }[], atLeast: number): void {
  expect(found.length).toBeGreaterThanOrEqual(atLeast);
  expect(found.filter((picture) => !picture.loaded)).toEqual([]);
}

describeInBrowser('every page after `vectorizer demo`, in headless Chromium', () => {
  let database: TestDatabase;
  let demoDir: string;
  let harness: ApiHarness;
  let closeBrowser: (() => Promise<void>) | undefined;
  let baseUrl: string;
  let browser: Browser;
  const prefix = uniquePrefix('pages-demo');

  beforeAll(async () => {
    database = await createTestDatabase('pages_demo');
    demoDir = await mkdtemp(join(tmpdir(), 'vectorizer-pages-demo-'));
    const demo = await runDemo(['--products', String(PRODUCTS), '--dir', demoDir], {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      MODEL_DIR: DEV_TINY_MODEL_DIR,
      VECTORIZER_DEVICE: 'cpu',
      INFERENCE_THREADS: '1',
    });
    if (demo.code !== 0) throw new Error(`vectorizer demo exited ${demo.code}:\n${demo.output}`);
    // The demo's process is gone: only the API below can serve its images now.
    harness = await createApiHarness({ databaseUrl: database.url, imageFileRoots: [demoDir] });
    ({ browser, baseUrl, close: closeBrowser } = await openInChromium(harness.app));
  }, 240_000);

  afterAll(async () => {
    await closeBrowser?.();
    await harness?.close();
    await database?.drop();
    await rm(demoDir, { recursive: true, force: true });
  });

  it('search by words, by picture and similar products: every result picture loads', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 4000 } });
    const statusSays = (text: string) => page.locator('#status', { hasText: text }).waitFor();
    await page.goto(baseUrl);

    await page.fill('#text-query', 'red shoe');
    await page.click('#text-form button');
    await statusSays('result(s) for');
    const byWords = await pictures(page, '#results img');
    for (const { src } of byWords) expect(src).toMatch(/^\/api\/products\/demo-\d{4}\/image$/);
    expectAllLoaded(byWords, 10);

    await page.setInputFiles('#image-file', join(demoDir, 'images', 'p0003.jpg'));
    await page.click('#image-form button');
    await statusSays('result(s) like p0003.jpg');
    expectAllLoaded(await pictures(page, '#results img'), 10);

    await page.click('#results li:first-child button');
    await statusSays('result(s) similar to');
    expectAllLoaded(await pictures(page, '#results img'), 5);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'after-demo-similar.png') });
  });

  it('duplicates: the planted duplicates are grouped and every picture loads', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 4000 } });
    await page.goto(`${baseUrl}/duplicates.html`);
    await page.locator('#status', { hasText: 'group(s)' }).waitFor();
    const found = await pictures(page, '#groups img');
    // Every tenth demo product reuses an earlier picture: PRODUCTS / 10 planted pairs at least.
    expectAllLoaded(found, 2 * Math.floor(PRODUCTS / 10));
    for (const { src } of found) expect(src).not.toMatch(/^file:/);
    await page.screenshot({ path: join(ARTIFACTS, 'after-demo-duplicates.png') });
  });
});
