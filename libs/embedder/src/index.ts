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
export { downloadModel, type DownloadModelOptions, type DownloadResult } from './model/download';
export { resolveHfHome } from './model/hf-cache';
export { parseModelDtype, type ModelDtype } from './model/model-files';
export { requiredModelFiles } from './model/required-model-files';
export type { InferenceTestHooks } from './inference/protocol';
export { CUDA_INSTALL_HINT, cudaProviderLibrary } from './inference/providers';
