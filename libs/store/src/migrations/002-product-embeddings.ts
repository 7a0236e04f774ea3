import type { Migration } from './migration';

/*
 * embedding_visual starts without a dimension: the dimension belongs to the configured model, so
 * the runner binds it to vector(D) afterwards and builds the HNSW index then (HNSW needs a fixed
 * dimension). The CHECK keeps `dim` honest so a stray row can never claim another dimension.
 *
 * No extra index for "missing or stale for model M": streamNeedingEmbedding walks products by
 * primary key in keyset pages and anti-joins the primary key (product_id, model) here with
 * `product_id > cursor AND model = M` as its index condition (a merge anti-join reading one page's
 * range of each index; docs/performance.md has the timings). Counts over all products
 * (countMissing) are one hash anti-join of two sequential scans, which an index would not beat; a
 * (model, product_id) index was tried and the planner never chose it.
 */
export const createProductEmbeddings: Migration = {
  version: 2,
  name: 'create_product_embeddings',
  sql: `
CREATE TABLE product_embeddings (
  product_id        text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  model             text NOT NULL,
  dim               int NOT NULL CHECK (dim > 0),
  embedding_visual  vector,
  image_url         text,
  image_sha256      text,
  embedded_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id, model),
  CONSTRAINT product_embeddings_dim_matches CHECK (embedding_visual IS NULL OR vector_dims(embedding_visual) = dim)
);
`,
};
