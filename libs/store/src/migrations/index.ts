import { createProducts } from './001-products';
import { createProductEmbeddings } from './002-product-embeddings';
import { createModels } from './003-models';
import { notifyProductsToEmbed } from './004-notify-products-to-embed';
import { reuseIdenticalImages } from './005-reuse-identical-images';
import { filteredKnn } from './006-filtered-knn';
import { duplicateLinks } from './007-duplicate-links';
import type { Migration } from './migration';

export type { Migration } from './migration';

/** Every migration in version order. Append new ones; never edit or reorder applied ones. */
export const migrations: readonly Migration[] = [
  createProducts,
  createProductEmbeddings,
  createModels,
  notifyProductsToEmbed,
  reuseIdenticalImages,
  filteredKnn,
  duplicateLinks,
];
