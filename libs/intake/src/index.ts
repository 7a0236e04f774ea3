export { detectFormat, readCatalog, type CatalogFormat } from './catalog-reader';
export {
  DEFAULT_INGEST_CHUNK_SIZE,
  INGEST_CHUNKS_IN_FLIGHT,
  ingestCatalog,
  type IngestSummary,
  type MalformedLine,
} from './ingest-catalog';
export { intakeProducts, type IntakeDeps, type IntakeProductsStore, type IntakeResult } from './intake-products';
