import type { Migration } from './migration';

/*
 * Reuse of identical images: the worker looks up, once per batch, whether any of the batch's
 * fetched images (by sha256) already has a vector for the model, and copies it instead of running
 * inference. (model, image_sha256) serves that lookup as an index scan at any catalog size.
 *
 * `reused` records how the row's current vector came about: true when it was copied from another
 * product's identical image (a stored row or another job of the same batch), false when the model
 * ran on it. `status --json` counts it; a later inference of the same product sets it back to false.
 */
export const reuseIdenticalImages: Migration = {
  version: 5,
  name: 'reuse_identical_images',
  sql: `
CREATE INDEX product_embeddings_model_image_sha256 ON product_embeddings (model, image_sha256);
ALTER TABLE product_embeddings ADD COLUMN reused boolean NOT NULL DEFAULT false;
`,
};
