import type { Migration } from './migration';

/*
 * Models side by side. Until version 2 the runner bound embedding_visual to vector(D) of the one
 * configured model and indexed the whole column; a model of another dimension meant dropping every
 * vector. From here the column stays plain `vector` (any dimension) and each registered model gets
 * its own partial expression HNSW index (`(embedding_visual::vector(D)) … WHERE model = '<id>'`,
 * built by the runner: see model-index.ts), so vectors of several models live in one table and
 * `SELECT count(*) FROM product_embeddings WHERE embedding_visual IS NOT NULL` keeps counting them.
 *
 * The foreign key (model, dim) → models keeps every vector under a registered model with its
 * dimension (the dim CHECK of version 2 ties the vector to `dim`), and dropping a model removes its
 * vectors in the same statement (ON DELETE CASCADE).
 *
 * An existing database keeps its vectors: every model that has embeddings is registered (dtype read
 * from the id's @fp16/@q8 suffix, storage vector), the one with the most embeddings becomes active,
 * and the old whole-column index is replaced by the per-model ones.
 */
export const createModels: Migration = {
  version: 3,
  name: 'create_models',
  sql: `
CREATE TABLE models (
  id          text PRIMARY KEY,
  dim         int NOT NULL CHECK (dim > 0),
  dtype       text NOT NULL,
  storage     text NOT NULL CHECK (storage IN ('vector', 'halfvec')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  active      boolean NOT NULL DEFAULT false,
  UNIQUE (id, dim)
);
-- At most one model answers searches.
CREATE UNIQUE INDEX models_one_active ON models (active) WHERE active;

INSERT INTO models (id, dim, dtype, storage)
SELECT model, min(dim),
       CASE WHEN model LIKE '%@fp16' THEN 'fp16' WHEN model LIKE '%@q8' THEN 'q8' ELSE 'fp32' END,
       'vector'
  FROM product_embeddings GROUP BY model;
UPDATE models SET active = true
 WHERE id = (SELECT model FROM product_embeddings GROUP BY model ORDER BY count(*) DESC, model LIMIT 1);

DROP INDEX IF EXISTS product_embeddings_embedding_visual_hnsw;
ALTER TABLE product_embeddings ALTER COLUMN embedding_visual TYPE vector;
ALTER TABLE product_embeddings
  ADD CONSTRAINT product_embeddings_model_registered FOREIGN KEY (model, dim) REFERENCES models (id, dim) ON DELETE CASCADE;
`,
};
