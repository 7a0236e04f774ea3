export { detectFormat, openCatalogFile, readCatalog, type CatalogFile, type CatalogFormat } from './catalog-reader';
export {
  DEFAULT_INGEST_CHUNK_SIZE,
  INGEST_CHUNKS_IN_FLIGHT,
  ingestCatalog,
  type IngestSummary,
  type MalformedLine,
} from './ingest-catalog';
export { QueueWindow } from './queue-window';
export { intake, type IntakeBatch, type IntakeDeps, type IntakeProductsStore } from './intake';
export { addCounts, emptyIntakeResult, type IntakeResult, type QueueCounts } from './intake-result';
export { QueueTopUp, type TopUpResult } from './queue-top-up';
export { backfill, type BackfillOptions } from './backfill';
export { ProductsListener, LISTENER_LOCK_CLASS, type ProductsListenerOptions } from './products-listener';
export { startIntakeWatch, type IntakeWatch, type IntakeWatchOptions } from './intake-watch';
export { pendingInPostgres } from './pending-in-postgres';
export { parseJsonRecord, toProduct, toProductFromValue, type RecordResult } from './catalog-record';
export { IntakeBodyInvalidError, IntakeMediaTypeError } from './errors';
export { intakeBodyFormat, parseIntakeBody, type IntakeBodyFormat, type IntakeItem } from './intake-body';
export { intakeItems, ITEMS_PER_INTAKE_CALL, type ItemError, type ItemsIntakeResult } from './intake-items';
export { Loader, type CatalogRecord, type LoaderOpenOptions, type LoaderSettings } from './loader';
export { removeProduct, type RemoveProductDeps } from './remove-product';
