import type { Migration } from './migration';

/*
 * Filtered kNN (libs/store/src/search-repository.ts) plans each filtered search by how many
 * products the filter keeps, and scores a selective filter's products exactly:
 *
 * - A GIN index on products.attributes with jsonb_path_ops serves `attributes @> filter` (the only
 *   operator filters use; jsonb_path_ops indexes it at a third of jsonb_ops' size): both the bounded
 *   count that estimates a filter's size and the exact path's fetch of the matching products.
 * - embedding_visual is stored inline (MAIN) instead of pgvector's default EXTERNAL: a 768-d vector
 *   (3 KB) otherwise lives in the TOAST table, so every row the exact path scores costs a TOAST
 *   index lookup and two chunk reads. Inline rows fit a page up to ~2000 dimensions; larger ones
 *   still move out of line. Applies to rows written from now on (existing rows move when re-embedded).
 */
export const filteredKnn: Migration = {
  version: 6,
  name: 'filtered_knn',
  sql: `
CREATE INDEX products_attributes_path_ops ON products USING gin (attributes jsonb_path_ops);
ALTER TABLE product_embeddings ALTER COLUMN embedding_visual SET STORAGE MAIN;
`,
};
