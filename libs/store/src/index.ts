export { createPool, poolOptionsFromConfig, type PoolOptions } from './pool';
export { probePostgres, type PostgresFailureCause } from './connect-failure';
export { runMigrations, type MigrateOptions, type MigrateResult } from './run-migrations';
export { describeDatabase, checkSchema, type DatabaseDescription } from './describe-database';
export { ProductsRepository, type NeedingEmbeddingOptions, type ProductPosition } from './products-repository';
export { EmbeddingsRepository, type StoredEmbedding, type UpsertResult } from './embeddings-repository';
export {
  DuplicateLinksRepository,
  type LinkedProduct,
  type NeighbourLink,
  type PendingLinks,
  type StoredLink,
} from './duplicate-links-repository';
export { SearchRepository, MAX_K, type ExactOptions, type HnswOptions, type KnnQuery } from './search-repository';
export {
  ModelsRepository,
  modelRegistration,
  type DropResult,
  type ModelCoverage,
  type ModelRegistration,
  type RegisteredModel,
  type RegistrationResult,
} from './models-repository';
export { MAX_INDEXED_DIMENSION, VECTOR_STORAGES, modelIndexName, type VectorStorage } from './model-index';
export type { Product, ProductInput, EmbeddingRow, SearchHit } from './types';
export {
  parseAttributeFilter,
  SearchFilterInvalidError,
  type AttributeFilter,
  type AttributeValue,
} from './attribute-filter';
export { ProductNotFoundError } from './errors';
