/**
 * The nearest-neighbour query, shaped so pgvector's HNSW index serves it: ORDER BY the cosine
 * distance operator on the indexed column against a parameter, with a LIMIT. Filters (model,
 * the excluded product, the attribute filter) are applied to the index's candidates; with iterative
 * index scans (pgvector 0.8) the scan goes on until k candidates pass them. Parameters:
 * $1 query vector, $2 model, $3 product id to exclude (or null), $4 k, then ATTRIBUTE_FILTER_SQL's.
 */
export const NEAREST_NEIGHBOURS_SQL = `
SELECT e.product_id, p.title, p.image_url, 1 - (e.embedding_visual <=> $1::vector) AS score
  FROM product_embeddings e
  JOIN products p ON p.id = e.product_id
 WHERE e.model = $2 AND ($3::text IS NULL OR e.product_id <> $3::text)
   AND ${attributeFilterSql(5)}
 ORDER BY e.embedding_visual <=> $1::vector
 LIMIT $4`;

/**
 * Equality on top-level keys of products.attributes (alias p) as jsonb containment, parameter
 * `$n` a jsonb object of scalars or null for "no filter" (see attributeFilterParam).
 */
export function attributeFilterSql(n: number): string {
  return `($${n}::jsonb IS NULL OR p.attributes @> $${n}::jsonb)`;
}
