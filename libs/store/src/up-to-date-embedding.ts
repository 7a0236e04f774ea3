/**
 * "Up to date" for a model, as a condition on a product `p` and an embedding row `e`: a vector
 * embedded for the model (`modelParam`, a query parameter such as `$1`) from the product's current
 * image_url. Missing or stale is NOT EXISTS of it; every count and selection of embedded or
 * missing products uses this one condition, so their numbers always add up.
 */
export function upToDateEmbedding(modelParam: string): string {
  return `e.product_id = p.id AND e.model = ${modelParam} AND e.image_url = p.image_url AND e.embedding_visual IS NOT NULL`;
}
