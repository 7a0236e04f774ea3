import { extname } from 'node:path';
import { VectorizerError, describeError } from '@vectorizer/errors';
import { readFileUrl } from './fetch/file-url';

const IMAGE_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

/** A product's image as a browser gets it: a redirect to its http(s) URL, or the bytes of its local file. */
export type ProductImage = { redirect: string } | { bytes: Buffer; contentType: string };

/**
 * A product's own image, whatever its URL: a `file://` one is read under the allowed roots (never
 * any other file: only what a product's image_url names, symlinks and `..` resolved), an http(s)
 * one is a redirect. Anything else is PRODUCT_IMAGE_UNAVAILABLE, whose message names the code of
 * what refused it, never a server path.
 */
export class ProductImages {
  constructor(
    /** The product's image URL; an unknown id throws the caller's not-found error (the one every answer gives). */
    private readonly products: { require(id: string): Promise<{ id: string; imageUrl: string }> },
    /** IMAGE_FILE_ROOT, and outside production the demo's folder. */
    private readonly fileRoots: readonly string[],
    private readonly maxBytes: number,
  ) {}

  async image(productId: string): Promise<ProductImage> {
    const product = await this.products.require(productId);
    const url = new URL(product.imageUrl);
    if (url.protocol === 'http:' || url.protocol === 'https:') return { redirect: url.href };
    let lastError: unknown;
    for (const root of url.protocol === 'file:' ? this.fileRoots : []) {
      try {
        const bytes = await readFileUrl(url, root, this.maxBytes);
        return { bytes, contentType: IMAGE_TYPES[extname(url.pathname).toLowerCase()] ?? 'application/octet-stream' };
      } catch (error) {
        lastError = error;
      }
    }
    throw new VectorizerError(
      'PRODUCT_IMAGE_UNAVAILABLE',
      `The image of product ${JSON.stringify(product.id)} is not served by this API` +
        (lastError === undefined ? '' : ` (${describeError(lastError).code ?? 'unreadable'})`),
      {
        hint:
          url.protocol === 'file:'
            ? 'Start `serve` with IMAGE_FILE_ROOT set to the directory holding the catalog images.'
            : 'Only http(s) and file:// image URLs can be shown.',
      },
    );
  }
}
