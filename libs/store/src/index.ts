export { createPool, poolOptionsFromConfig, type PoolOptions } from './pool';
export {
  PostgresConnectError,
  describePostgresFailure,
  probePostgres,
  type PostgresFailureCause,
} from './connect-failure';
export { runMigrations, type MigrateOptions, type MigrateResult } from './run-migrations';
export { HNSW_INDEX_NAME, MAX_INDEXED_DIMENSION, type DimensionBinding } from './embedding-dimension';
export { describeDatabase, checkSchema, type DatabaseDescription } from './describe-database';
export { ProductsRepository, type NeedingEmbeddingOptions } from './products-repository';
export { EmbeddingsRepository, type UpsertResult } from './embeddings-repository';
export type { Product, ProductInput, EmbeddingRow, SearchHit } from './types';
export {
  PgvectorMissingError,
  PgvectorPermissionError,
  EmbeddingDimensionMismatchError,
  VectorDimensionMismatchError,
  MigrationChecksumMismatchError,
  SchemaNewerThanCodeError,
  SchemaNotReadyError,
  ProductNotFoundError,
  ProductNotEmbeddedError,
  InvalidStoreInputError,
} from './errors';
