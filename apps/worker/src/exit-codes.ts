/** Exit codes the supervisor acts on (see COMMON contracts). */
export const EXIT_CLEAN = 0;
/** Any other failure: the supervisor restarts the worker with backoff. */
export const EXIT_CRASH = 1;
/** EX_CONFIG: the model or configuration is broken; restarting cannot help, so do not restart-loop. */
export const EXIT_CANNOT_WORK = 78;

/** Start-up errors that restarting will not fix (the operator must change the model or config). */
const CONFIG_ERROR_CODES =
  /^(CONFIG_INVALID|MODEL_.*|CUDA_PROVIDER_UNAVAILABLE|EXECUTION_PROVIDER_FAILED|DEVICE_INVALID|INPUT_SHAPE_MISMATCH|EMBEDDING_DIMENSION_MISMATCH|SCHEMA_NOT_READY|SCHEMA_NEWER_THAN_CODE|PGVECTOR_MISSING|INFERENCE_.*)$/;

export function exitCodeForStartupError(error: unknown): number {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CONFIG_ERROR_CODES.test(code) ? EXIT_CANNOT_WORK : EXIT_CRASH;
}
