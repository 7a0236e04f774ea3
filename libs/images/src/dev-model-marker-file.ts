/**
 * The file that marks a directory as a generated dev model, and the generator named in it: the
 * contract between libs/dev-model, which writes it, and the runtime embedder, which reads it without
 * importing the generator. Both libraries sit on the floor above this one and may not import each
 * other, so the names live here.
 */
export const DEV_MODEL_MARKER_FILE = 'vectorizer-dev.json';
export const DEV_MODEL_GENERATOR = 'vectorizer-dev-model';
