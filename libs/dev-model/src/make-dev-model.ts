import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DevModelError } from './dev-model-error';
import { DEV_MODEL_FORMAT_VERSION, DEV_MODEL_MARKER_FILE, DevModelMarker } from './dev-model-marker';
import { DEV_MODEL_SIZES, DevModelSize, devModelId, isDevModelSize } from './dev-model-sizes';
import { visionFlopsPerImage } from './flops';
import { siglipConfigJson, siglipPreprocessorConfigJson } from './model-config';
import { writeOnnxModel } from './onnx-file-writer';
import { buildTextGraph } from './text-tower';
import { devTokenizerFiles, devVocabulary } from './tokenizer';
import { buildVisionGraph } from './vision-tower';

export interface DevModelOptions {
  /** Directory to write the model into (created if missing). */
  dir: string;
  size: DevModelSize;
  /** Seed of the weights; the same (size, seed) always gives byte-identical files. Default 42. */
  seed?: number;
}

export const DEFAULT_DEV_MODEL_SEED = 42;
export const VISION_MODEL_FILE = 'onnx/vision_model.onnx';
export const TEXT_MODEL_FILE = 'onnx/text_model.onnx';

export interface ValidDevModelOptions {
  dir: string;
  size: DevModelSize;
  seed: number;
}

export function validateDevModelOptions(options: DevModelOptions): ValidDevModelOptions {
  const { dir, size, seed = DEFAULT_DEV_MODEL_SEED } = options;
  if (typeof dir !== 'string' || dir.trim() === '') {
    throw new DevModelError(
      'DEV_MODEL_INVALID_OPTIONS',
      `dev model dir must be a non-empty path, got ${JSON.stringify(dir)}`,
      {
        hint: 'pass the directory the dev model should live in, e.g. <repo>/tmp/models/dev-tiny',
      },
    );
  }
  if (!isDevModelSize(size)) {
    throw new DevModelError('DEV_MODEL_INVALID_OPTIONS', `unknown dev model size ${JSON.stringify(size)}`, {
      hint: `use one of: ${Object.keys(DEV_MODEL_SIZES).join(', ')}`,
    });
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DevModelError(
      'DEV_MODEL_INVALID_OPTIONS',
      `dev model seed must be an integer in [0, 2^32), got ${seed}`,
      {
        hint: 'omit the seed to use the default, or pass a small non-negative integer',
      },
    );
  }
  return { dir: resolve(dir), size, seed };
}

/**
 * Writes a SigLIP-architecture model with seeded random weights into `dir`, in the layout of a
 * Hugging Face Optimum / transformers.js export (onnx/*.onnx, config.json, preprocessor_config.json,
 * tokenizer files) plus the vectorizer-dev.json marker. Its embeddings are meaningless; it exists so
 * the whole pipeline can run without downloading weights. Existing files are overwritten; use
 * ensureDevModel for a shared location.
 */
export async function makeDevModel(options: DevModelOptions): Promise<void> {
  const { dir, size, seed } = validateDevModelOptions(options);
  const spec = DEV_MODEL_SIZES[size];
  const vocabSize = devVocabulary().length;
  const modelId = devModelId(size);
  const docString = `${modelId} seed ${seed}: random weights, generated for development; its embeddings mean nothing`;
  try {
    await mkdir(join(dir, 'onnx'), { recursive: true });
    const header = { seed, producerVersion: String(DEV_MODEL_FORMAT_VERSION), docString };
    const visionParameters = await writeOnnxModel(join(dir, VISION_MODEL_FILE), buildVisionGraph(spec.vision), header);
    const textParameters = await writeOnnxModel(
      join(dir, TEXT_MODEL_FILE),
      buildTextGraph({ ...spec.text, vocabSize }),
      header,
    );
    const jsonFiles: Record<string, unknown> = {
      'config.json': siglipConfigJson(modelId, spec, vocabSize),
      'preprocessor_config.json': siglipPreprocessorConfigJson(spec),
      ...devTokenizerFiles(),
    };
    for (const [name, content] of Object.entries(jsonFiles))
      await writeFile(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);

    const files: Record<string, number> = {};
    for (const name of [VISION_MODEL_FILE, TEXT_MODEL_FILE, ...Object.keys(jsonFiles)])
      files[name] = (await stat(join(dir, name))).size;
    const marker: DevModelMarker = {
      generator: 'vectorizer-dev-model',
      formatVersion: DEV_MODEL_FORMAT_VERSION,
      warning: 'GENERATED DEV MODEL with random weights: its embeddings mean nothing. Never use it for real data.',
      modelId,
      size,
      seed,
      dimension: spec.vision.hiddenSize,
      visionParameters,
      textParameters,
      visionGflopsPerImage: Number((visionFlopsPerImage(spec.vision) / 1e9).toFixed(3)),
      files,
    };
    await writeFile(join(dir, DEV_MODEL_MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
  } catch (error) {
    throw new DevModelError(
      'DEV_MODEL_WRITE_FAILED',
      `could not write the ${size} dev model to ${dir}: ${(error as Error).message}`,
      {
        hint: 'check that the directory is writable and the disk has room (base needs ~400 MB, tiny < 1 MB)',
        cause: error,
      },
    );
  }
}
