import type { ProductImages } from '@vectorizer/images';
import { Router } from 'express';

/** `GET /api/products/:id/image`: the product's own image (ProductImages decides how), cached for 5 minutes. */
export function productImageRoutes(images: ProductImages): Router {
  const router = Router();
  router.get('/products/:id/image', async (req, res) => {
    const image = await images.image(req.params.id);
    if ('redirect' in image) return void res.redirect(302, image.redirect);
    res.type(image.contentType);
    res.setHeader('Cache-Control', 'max-age=300');
    res.send(image.bytes);
  });
  return router;
}
