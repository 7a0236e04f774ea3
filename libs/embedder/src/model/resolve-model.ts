import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parsePreprocessorConfig, type PreprocessorConfig } from '@vectorizer/images';
import { EmbedderError } from '../errors';
import { readDevModelIdentity } from './dev-model-marker';
import { devModelDir, findCachedModel, resolveHfHome } from './hf-cache';
import { readManifest } from './manifest';
import { readJsonFile, readModelConfig } from './model-config';
import { type ModelDtype, PREPROCESSOR_FILE, TOKENIZER_FILES, onnxFileFor } from './model-files';
import { repairHint, type ModelSource } from './repair-hint';
import { storedModelId } from './stored-model-id';
import { type TextPreprocessing, readTextPreprocessing } from './text-preprocessing';

/** What the app asks of the dev-model generator (libs/dev-model's ensureDevModel fits). */
export interface DevModelRequest {
  dir: string;
  size: 'tiny' | 'base';
  dtype: ModelDtype;
}

export interface ResolveModelOptions {
  modelDir?: string;
  modelId?: string;
  hfHome?: string;
  dtype: ModelDtype;
  devModelSize: 'tiny' | 'base';
  /** transformers.js's own cache directory, searched after the huggingface_hub layout. */
  transformersCacheDir?: string;
  /**
   * Generates the dev model when neither modelDir nor modelId is set. Apps pass libs/dev-model's
   * ensureDevModel; the runtime embedder never carries the generator, so without it that case is
   * an error asking for MODEL_DIR or MODEL_ID.
   */
  ensureDevModel?: (request: DevModelRequest) => Promise<unknown>;
}

export interface ResolvedModel {
  /** The value stored in product_embeddings.model: the model's id, plus `@fp16`/`@q8` for those dtypes (storedModelId). */
  id: string;
  dir: string;
  /** A generated model with random weights: its embeddings mean nothing. Callers must warn loudly. */
  isDevModel: boolean;
  dimension: number;
  dtype: ModelDtype;
  visionModelPath: string;
  /** Present when the directory has the text tower and its tokenizer (text search). */
  textModelPath?: string;
  /** How text queries are tokenized (length, pad token, case), from the model's config files; with textModelPath. */
  textPreprocessing?: TextPreprocessing;
  preprocessor: PreprocessorConfig;
  /** Where the model came from, which decides the repair command in every model error. */
  source: ModelSource;
}

async function locate(
  opts: ResolveModelOptions,
): Promise<{ dir: string; id?: string; source: ModelSource; isDevModel: boolean }> {
  const hfHome = resolveHfHome(opts.hfHome);
  if (opts.modelDir !== undefined) {
    const dir = resolve(opts.modelDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new EmbedderError('MODEL_NOT_FOUND', `MODEL_DIR ${dir} does not exist or is not a directory`, {
        hint: 'Point MODEL_DIR (or --model-dir) at a model export holding config.json, preprocessor_config.json and onnx/vision_model.onnx.',
      });
    }
    // A generated dev model keeps its own id even under MODEL_DIR, so its meaningless vectors are
    // never stored under a real model's name, and callers still warn about it.
    const marker = await readDevModelIdentity(dir);
    if (marker) return { dir, id: marker.modelId, source: { kind: 'dev', dir, size: marker.size }, isDevModel: true };
    const manifest = await readManifest(dir);
    const source: ModelSource = manifest
      ? { kind: 'hub', modelId: manifest.modelId, dtype: opts.dtype }
      : { kind: 'local', dir };
    return { dir, id: opts.modelId ?? manifest?.modelId, source, isDevModel: false };
  }
  if (opts.modelId !== undefined) {
    const dir = findCachedModel({ hfHome, modelId: opts.modelId, transformersCacheDir: opts.transformersCacheDir });
    if (!dir) {
      throw new EmbedderError(
        'MODEL_NOT_FOUND',
        `Model ${opts.modelId} is not in the Hugging Face cache at ${join(hfHome, 'hub')}`,
        {
          hint: `Workers never download. Fetch it once: HF_HOME=${hfHome} npx vectorizer model download ${opts.modelId} --dtype ${opts.dtype} (or set MODEL_DIR to an existing export).`,
        },
      );
    }
    return {
      dir,
      id: opts.modelId,
      source: { kind: 'hub', modelId: opts.modelId, dtype: opts.dtype },
      isDevModel: false,
    };
  }
  const dir = devModelDir(hfHome, opts.devModelSize);
  if (!opts.ensureDevModel) {
    throw new EmbedderError('MODEL_NOT_FOUND', 'No model configured: neither MODEL_DIR nor MODEL_ID is set', {
      hint: 'Set MODEL_DIR to a model export or MODEL_ID to a model in the Hugging Face cache (npx vectorizer model download <id>).',
    });
  }
  await opts.ensureDevModel({ dir, size: opts.devModelSize, dtype: opts.dtype });
  const marker = await readDevModelIdentity(dir);
  if (!marker) {
    throw new EmbedderError('MODEL_NOT_FOUND', `The dev model generator left no dev model in ${dir}`, {
      hint: `delete ${dir} so the dev model is generated again`,
    });
  }
  return { dir, id: marker.modelId, source: { kind: 'dev', dir, size: marker.size }, isDevModel: true };
}

/**
 * Finds the model to run: MODEL_DIR wins; else MODEL_ID inside the HF cache; else the generated
 * dev model. Reads the numbers that matter (dimension, preprocessing) from the model's own files.
 */
export async function resolveModel(opts: ResolveModelOptions): Promise<ResolvedModel> {
  const located = await locate(opts);
  const { dir, source } = located;
  const config = await readModelConfig(dir);
  const preprocessorFile = join(dir, PREPROCESSOR_FILE);
  const preprocessor = parsePreprocessorConfig(await readJsonFile(preprocessorFile, 'preprocessor_config.json'));

  const visionFile = onnxFileFor('vision_model', opts.dtype);
  const visionModelPath = join(dir, visionFile);
  if (!existsSync(visionModelPath)) {
    const available = (['fp32', 'fp16', 'q8'] as const).filter((dtype) =>
      existsSync(join(dir, onnxFileFor('vision_model', dtype))),
    );
    throw new EmbedderError(
      'MODEL_FILE_MISSING',
      `Model file missing: ${visionModelPath} (MODEL_DTYPE=${opts.dtype})`,
      {
        hint:
          available.length > 0
            ? `This export has MODEL_DTYPE ${available.join(', ')}; set one of those, or ${repairHint(source)}`
            : repairHint(source),
      },
    );
  }
  const textModelPath = join(dir, onnxFileFor('text_model', opts.dtype));
  const hasText = existsSync(textModelPath) && TOKENIZER_FILES.every((file) => existsSync(join(dir, file)));
  const textPreprocessing = hasText ? await readTextPreprocessing(dir) : undefined;

  return {
    id: storedModelId(located.id ?? config.nameOrPath ?? `local/${basename(dir)}`, opts.dtype),
    dir,
    isDevModel: located.isDevModel,
    dimension: config.dimension,
    dtype: opts.dtype,
    visionModelPath,
    textModelPath: hasText ? textModelPath : undefined,
    textPreprocessing,
    preprocessor,
    source,
  };
}
