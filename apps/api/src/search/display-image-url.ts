/**
 * The URL a browser can show a product's image from: http(s) and data URLs as they are; a `file://`
 * image (a local catalog, the demo's) through the API's own `GET /api/products/:id/image`, since no
 * page can load a server's file and its path is nobody's business.
 */
export function displayImageUrl(productId: string, imageUrl: string): string {
  return imageUrl.startsWith('file:') ? `/api/products/${encodeURIComponent(productId)}/image` : imageUrl;
}

export function withDisplayImageUrl<T extends { productId: string; imageUrl: string }>(hit: T): T {
  return { ...hit, imageUrl: displayImageUrl(hit.productId, hit.imageUrl) };
}
