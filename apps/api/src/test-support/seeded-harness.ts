import type { Browser } from 'playwright-core';
import type { QueryEncoder } from '@vectorizer/search';
import { type ApiHarness, type ApiHarnessOptions, createApiHarness } from './api-harness';
import { openInChromium } from './browser';
import { patternImage } from './catalog-images';
import { type SeedProduct, seedCatalog } from './seed-catalog';

/** Fillers with distinct pictures, `other-<seed>`, so that a planted match has neighbours to beat. */
export function otherProducts(seeds: number[], spread: number): Promise<SeedProduct[]> {
  return Promise.all(
    seeds.map(async (seed) => ({
      id: `other-${seed}`,
      title: `Other ${seed}`,
      image: await patternImage(seed * spread),
    })),
  );
}

/** `product` stored with the text tower's embedding of `text`: a text search for `text` matches it exactly. */
export async function textMatchedProduct(
  encoder: QueryEncoder,
  text: string,
  product: Omit<SeedProduct, 'embedding'>,
): Promise<SeedProduct> {
  const [embedding] = await encoder.embedTexts([text]);
  return { ...product, embedding };
}

/** A harness whose catalog is `products`, written with the harness's own query encoder; closed again if seeding fails. */
export async function createSeededHarness(
  products: (encoder: QueryEncoder) => Promise<SeedProduct[]>,
  options: ApiHarnessOptions = {},
): Promise<ApiHarness> {
  const harness = await createApiHarness(options);
  try {
    const encoder = await harness.searchModel.encoder();
    await seedCatalog(harness.schema.pool, encoder, await products(encoder));
    return harness;
  } catch (error) {
    await harness.close();
    throw error;
  }
}

export interface SeededPage {
  harness: ApiHarness;
  browser: Browser;
  baseUrl: string;
  /** Stops the browser and the server, then the harness. */
  close(): Promise<void>;
}

/** A seeded harness served on loopback with a Chromium to browse it. */
export async function openSeededPage(
  products: (encoder: QueryEncoder) => Promise<SeedProduct[]>,
  options: ApiHarnessOptions = {},
): Promise<SeededPage> {
  const harness = await createSeededHarness(products, options);
  const opened = await openInChromium(harness.app).catch(async (error: unknown) => {
    await harness.close();
    throw error;
  });
  return {
    harness,
    browser: opened.browser,
    baseUrl: opened.baseUrl,
    close: async () => {
      await opened.close();
      await harness.close();
    },
  };
}
