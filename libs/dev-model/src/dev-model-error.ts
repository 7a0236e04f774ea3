import { VectorizerError } from '@vectorizer/errors';

export type DevModelErrorCode =
  /** makeDevModel/ensureDevModel got a bad dir, size or seed. */
  | 'DEV_MODEL_INVALID_OPTIONS'
  /** The target directory holds something that is not the requested dev model. */
  | 'DEV_MODEL_DIR_CONFLICT'
  /** Writing the files failed (disk full, permissions, …). */
  | 'DEV_MODEL_WRITE_FAILED';

export class DevModelError extends VectorizerError<DevModelErrorCode> {}
