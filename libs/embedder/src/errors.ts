import { VectorizerError } from '@vectorizer/errors';

/**
 * Every failure the embedder raises on purpose. Codes are stable: the CLI prints them, the pipeline
 * decides on them (a model problem stops a worker, it never dead-letters a product).
 */
export type EmbedderErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'MODEL_CONFIG_INVALID'
  | 'MODEL_FILE_MISSING'
  | 'MODEL_FILE_INCOMPLETE'
  | 'MODEL_FILE_CORRUPT'
  | 'MODEL_MANIFEST_INVALID'
  | 'MODEL_DOWNLOAD_FAILED'
  | 'MODEL_LOAD_FAILED'
  | 'MODEL_DIMENSION_MISMATCH'
  | 'CUDA_PROVIDER_UNAVAILABLE'
  | 'EXECUTION_PROVIDER_FAILED'
  | 'DEVICE_INVALID'
  | 'INFERENCE_FAILED'
  | 'INFERENCE_OUT_OF_MEMORY'
  | 'INFERENCE_THREAD_DIED'
  /** More requests waiting for the session thread than EmbedderStartOptions.maxQueuedRequests: retry later. */
  | 'INFERENCE_QUEUE_FULL'
  | 'INPUT_SHAPE_MISMATCH'
  | 'TEXT_MODEL_UNAVAILABLE'
  | 'EMBEDDER_OPTIONS_INVALID'
  | 'EMBEDDER_CLOSED';

export class EmbedderError extends VectorizerError<EmbedderErrorCode> {}
