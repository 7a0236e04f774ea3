import { makeDevModel, type DevModelOptions } from '@vectorizer/dev-model';
import {
  downloadModel,
  parseModelDtype,
  requiredModelFiles,
  resolveHfHome,
  resolveModel,
  verifyModel,
  type DownloadResult,
  type ResolvedModel,
  type VerifyResult,
} from '@vectorizer/embedder';
import type { Runtime } from './runtime';

/** What `model download` and `model fetch` take beside the id; `dtype` unset means MODEL_DTYPE. */
export interface ModelDownloadOptions {
  dtype?: string;
  revision: string;
  /** Also fetch the text tower and tokenizer. */
  text: boolean;
}

export interface DownloadedModel extends DownloadResult {
  modelId: string;
  /** The HF_HOME it went into when HF_HOME is set (the way to use it needs it then), else undefined. */
  hfHome?: string;
}

/** What `model verify` found: every file against its manifest, and one load by ONNX Runtime. */
export interface ModelVerification {
  model: ResolvedModel;
  files: VerifyResult;
}

/** Every file a usable model directory must hold (with `text`, the text tower's too), hashed. */
function verifyEveryFile(model: ResolvedModel, options: { text: boolean }): Promise<VerifyResult> {
  return verifyModel({
    dir: model.dir,
    requiredFiles: requiredModelFiles(model, options),
    source: model.source,
    hashPolicy: 'always',
  });
}

/** Fetches model `id` into the Hugging Face cache (HF_HOME, HF_ENDPOINT) with its sha256 manifest. */
export async function downloadModelFiles(
  runtime: Runtime,
  id: string,
  options: ModelDownloadOptions,
): Promise<DownloadedModel> {
  const { config, logger } = runtime;
  const hfHome = resolveHfHome(config.HF_HOME);
  const result = await downloadModel({
    modelId: id,
    hfHome,
    dtype: parseModelDtype(options.dtype ?? config.MODEL_DTYPE),
    revision: options.revision,
    remoteHost: config.HF_ENDPOINT,
    includeText: options.text,
    onFile: (event) => logger.info(event, `${event.file}: ${event.status}`),
  });
  return { ...result, modelId: id, ...(config.HF_HOME ? { hfHome } : {}) };
}

/**
 * Model `id` in the Hugging Face cache when every file is there (the text tower's too when `text`)
 * and matches its manifest (then nothing needs downloading); undefined otherwise.
 */
export async function cachedVerifiedModel(
  runtime: Runtime,
  id: string,
  options: Pick<ModelDownloadOptions, 'dtype' | 'text'>,
): Promise<ResolvedModel | undefined> {
  const { config } = runtime;
  const dtype = parseModelDtype(options.dtype ?? config.MODEL_DTYPE);
  try {
    const model = await resolveModel({
      modelId: id,
      hfHome: config.HF_HOME,
      dtype,
      devModelSize: config.DEV_MODEL_SIZE,
    });
    await verifyEveryFile(model, { text: options.text });
    return model;
  } catch {
    return undefined;
  }
}

/**
 * Checks every file of the configured model (or `modelDir`) against its manifest, then loads it
 * once with ONNX Runtime on the CPU: parsing catches what a manifest cannot (a directory that never
 * had one).
 */
export async function verifyModelFiles(runtime: Runtime, modelDir?: string): Promise<ModelVerification> {
  const model = await runtime.model(modelDir, { inspectOnly: true });
  const files = await verifyEveryFile(model, { text: model.textModelPath !== undefined });
  const embedder = await runtime.startEmbedder(model, { device: 'cpu', allowCpuFallback: false, hashPolicy: 'never' });
  await embedder.close();
  return { model, files };
}

/**
 * Generates the SigLIP-shaped dev model in `dir` (random weights). Sizes and families come as typed
 * on a command line: the generator refuses an unknown one with the ones it knows.
 */
export async function writeDevModel(
  dir: string,
  options: { size: string; seed?: number; family: string },
): Promise<void> {
  await makeDevModel({
    dir,
    size: options.size as DevModelOptions['size'],
    seed: options.seed,
    family: options.family as DevModelOptions['family'],
  });
}
