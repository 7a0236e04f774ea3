import { join } from 'node:path';

/**
 * Where tests keep the generated tiny dev model (<repo>/tmp, ignored by git): one copy, generated
 * on first use by `ensureDevModel`, shared by every test file.
 */
export const DEV_TINY_MODEL_DIR = join(__dirname, '..', '..', '..', 'tmp', 'models', 'dev-tiny');
