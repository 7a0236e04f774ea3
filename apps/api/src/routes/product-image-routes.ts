import { extname } from 'node:path';
import { VectorizerError, describeError } from '@vectorizer/errors';
import { readFileUrl } from '@vectorizer/images';
import { ProductsRepository } from '@vectorizer/store';
import { Router } from 'express';
import type { Pool } from 'pg';

export interface ProductImageRoutesOptions {
  pool: Pool;
  /**
   * Directories whose files the API may show as product images: IMAGE_FILE_ROOT, and outside
   * production the demo's folder, so its images load whenever `serve` runs.
   */
  fileRoots: readonly string[];
  maxBytes: number;
}

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

/**
 * `GET /api/products/:id/image`: the product's own image, whatever its URL: a `file://` one is read
 * under the allowed roots (never any other file: only what a product's image_url names, symlinks
 * and `..` resolved), an http(s) one is a redirect.
 */
export function productImageRoutes(options: ProductImageRoutesOptions): Router {
  const products = new ProductsRepository(options.pool);
  const router = Router();
  router.get('/products/:id/image', async (req, res) => {
    const product = await products.get(req.params.id);
    if (!product)
      throw new VectorizerError('PRODUCT_NOT_FOUND', `Product ${JSON.stringify(req.params.id)} does not exist`, {
        hint: 'Check the id.',
      });
    const url = new URL(product.imageUrl);
    if (url.protocol === 'http:' || url.protocol === 'https:') return void res.redirect(302, url.href);
    let lastError: unknown;
    for (const root of url.protocol === 'file:' ? options.fileRoots : []) {
      try {
        const bytes = await readFileUrl(url, root, options.maxBytes);
        res.type(IMAGE_TYPES[extname(url.pathname).toLowerCase()] ?? 'application/octet-stream');
        res.setHeader('Cache-Control', 'max-age=300');
        return void res.send(bytes);
      } catch (error) {
        lastError = error;
      }
    }
    // The reason names server paths: the page gets the code of what refused it, not the path.
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
  });
  return router;
}
