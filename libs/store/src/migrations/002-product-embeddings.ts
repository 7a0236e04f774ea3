import type { Migration } from './migration';

/*
 * embedding_visual starts without a dimension: the dimension belongs to the configured model, so
 * the runner binds it to vector(D) afterwards and builds the HNSW index then (HNSW needs a fixed
 * dimension). The CHECK keeps `dim` honest so a stray row can never claim another dimension.
 *
 * "Missing or stale for model M" walks products by primary key and probes the primary key
 * (product_id, model) here, which is one index lookup per product. Counting per model
 * (countEmbedded / countMissing) needs model first: product_embeddings_model_idx serves those as
 * index-only scans, image_url included so staleness is decided without visiting the heap.
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

CREATE INDEX product_embeddings_model_idx ON product_embeddings (model, product_id) INCLUDE (image_url);
`,
};
