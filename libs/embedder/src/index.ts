export { Embedder, type EmbedderStartOptions } from './embedder';
export { EmbedderError, type EmbedderErrorCode } from './errors';
export {
  resolveModel,
  type DevModelRequest,
  type ResolveModelOptions,
  type ResolvedModel,
} from './model/resolve-model';
export { resolveOptionsFromConfig } from './model/resolve-options-from-config';
export { assertDevModelAllowed } from './model/dev-model-policy';
export { verifyModel, type HashPolicy, type VerifyResult } from './model/verify-model';
export { readManifest, writeManifest, type ModelManifest } from './model/manifest';
export { downloadModel, type DownloadModelOptions, type DownloadResult } from './model/download';
export { resolveHfHome, snapshotDir } from './model/hf-cache';
export { repairHint, type ModelSource } from './model/repair-hint';
export type { ModelDtype } from './model/model-files';
export type { InferenceTestHooks } from './inference/protocol';
export { CUDA_INSTALL_HINT, cudaProviderLibrary } from './inference/providers';
