import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DevModelError } from './dev-model-error';
import { DEV_MODEL_GENERATOR, DEV_MODEL_MARKER_FILE } from '@vectorizer/images';
import { DEV_MODEL_FORMAT_VERSION, DevModelMarker } from './dev-model-marker';
import { DEV_MODEL_SIZES, DevModelFamily, DevModelSize, devModelId, isDevModelSize } from './dev-model-sizes';
import { visionFlopsPerImage } from './flops';
import {
  siglip2ConfigJson,
  siglip2PreprocessorConfigJson,
  siglipConfigJson,
  siglipPreprocessorConfigJson,
} from './model-config';
import { gemmaDevTokenizerFiles, gemmaDevVocabulary } from './gemma-tokenizer';
import { GraphBuilder } from './graph-builder';
import { writeOnnxModel } from './onnx-file-writer';
import { buildTextGraph } from './text-tower';
import { devTokenizerFiles, devVocabulary } from './tokenizer';
import { toHalfPrecision } from './half-precision-graph';
import { DevModelPoison, buildVisionGraph } from './vision-tower';

/** Precisions the generator writes; fp32 is always written, fp16 on request (transformers.js's `_fp16` files). */
export type DevModelDtype = 'fp32' | 'fp16';
const DEV_MODEL_DTYPES: readonly DevModelDtype[] = ['fp32', 'fp16'];

export interface DevModelOptions {
  /** Directory to write the model into (created if missing). */
  dir: string;
  size: DevModelSize;
  /** Seed of the weights; the same (size, seed) always gives byte-identical files. Default 42. */
  seed?: number;
  /**
   * A precision the directory must also hold besides fp32 (`onnx/vision_model_fp16.onnx`, …): the
   * MODEL_DTYPE the caller runs. `q8` has no dev variant and is refused.
   */
  dtype?: string;
  /** A fault-test model: see DevModelPoison. Gets its own model id. */
  poison?: DevModelPoison;
  /** Inputs/outputs of the fp16 files: float32 (transformers.js, default) or float16 (Optimum `--dtype fp16`). */
  fp16Io?: 'float32' | 'float16';
  /**
   * Input side in pixels instead of the size's own. The patches grow with it so the token grid
   * (and so the transformer's cost) stays the size's own: `tiny` at 384 (96 px patches, 4×4 grid)
   * is a near-zero-cost model with SigLIP-384's input, for measuring the image feeding alone.
   * Must be a multiple of the grid side. Gets its own model id (`…-<side>px`).
   */
  imageSize?: number;
  /**
   * `siglip2`: a SigLIP 2 FixRes-shaped model (Gemma byte-fallback BPE tokenizer, `<pad>` id 0, no
   * max length in the tokenizer, SigLIP 2's config.json and bilinear preprocessing). Id
   * `vectorizer/dev-siglip2-<size>`. Default `siglip`.
   */
  family?: DevModelFamily;
}

export const DEFAULT_DEV_MODEL_SEED = 42;
export const VISION_MODEL_FILE = 'onnx/vision_model.onnx';
export const TEXT_MODEL_FILE = 'onnx/text_model.onnx';

/** The file of one tower at one precision, in the Optimum / transformers.js layout. */
export function towerFile(tower: 'vision_model' | 'text_model', dtype: DevModelDtype): string {
  return `onnx/${tower}${dtype === 'fp16' ? '_fp16' : ''}.onnx`;
}

export interface ValidDevModelOptions {
  dir: string;
  size: DevModelSize;
  seed: number;
  /** Always starts with fp32. */
  dtypes: DevModelDtype[];
  poison?: DevModelPoison;
  fp16Io?: 'float16';
  imageSize?: number;
  family?: 'siglip2';
}

export function validateDevModelOptions(options: DevModelOptions): ValidDevModelOptions {
  const {
    dir,
    size,
    seed = DEFAULT_DEV_MODEL_SEED,
    dtype = 'fp32',
    poison,
    fp16Io = 'float32',
    imageSize,
    family = 'siglip',
  } = options;
  if (family !== 'siglip' && family !== 'siglip2') {
    throw new DevModelError('DEV_MODEL_INVALID_OPTIONS', `unknown dev model family ${JSON.stringify(family)}`, {
      hint: "use family 'siglip' (default) or 'siglip2'",
    });
  }
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
  if (!DEV_MODEL_DTYPES.includes(dtype as DevModelDtype)) {
    throw new DevModelError('DEV_MODEL_INVALID_OPTIONS', `the dev model has no ${JSON.stringify(dtype)} variant`, {
      hint: `use MODEL_DTYPE ${DEV_MODEL_DTYPES.join(' or ')} with the dev model, or set MODEL_DIR/MODEL_ID to a real export`,
    });
  }
  if (poison !== undefined && poison !== 'black') {
    throw new DevModelError('DEV_MODEL_INVALID_OPTIONS', `unknown dev model poison ${JSON.stringify(poison)}`, {
      hint: "use poison: 'black' (NaN embedding for an all-black image)",
    });
  }
  const dtypes: DevModelDtype[] = dtype === 'fp32' ? ['fp32'] : ['fp32', dtype as DevModelDtype];
  if (fp16Io !== 'float32' && fp16Io !== 'float16') {
    throw new DevModelError(
      'DEV_MODEL_INVALID_OPTIONS',
      `fp16Io must be float32 or float16, got ${JSON.stringify(fp16Io)}`,
      {
        hint: 'omit it for the transformers.js layout (float32 inputs and outputs)',
      },
    );
  }
  const { patchSize, imageSize: ownSize } = DEV_MODEL_SIZES[size].vision;
  const grid = ownSize / patchSize;
  if (
    imageSize !== undefined &&
    (!Number.isInteger(imageSize) || imageSize < grid || imageSize % grid !== 0 || imageSize > 4096)
  ) {
    throw new DevModelError(
      'DEV_MODEL_INVALID_OPTIONS',
      `dev model imageSize must be a multiple of the ${size} grid side ${grid} up to 4096, got ${imageSize}`,
      { hint: `omit it for the ${size} model's own ${ownSize} px, or pass e.g. 384` },
    );
  }
  return {
    dir: resolve(dir),
    size,
    seed,
    dtypes,
    ...(poison ? { poison } : {}),
    ...(fp16Io === 'float16' ? { fp16Io } : {}),
    ...(imageSize !== undefined && imageSize !== ownSize ? { imageSize } : {}),
    ...(family === 'siglip2' ? { family } : {}),
  };
}

/**
 * Writes a SigLIP-architecture model with seeded random weights into `dir`, in the layout of a
 * Hugging Face Optimum / transformers.js export (onnx/*.onnx, config.json, preprocessor_config.json,
 * tokenizer files) plus the vectorizer-dev.json marker. Its embeddings are meaningless; it exists so
 * the whole pipeline can run without downloading weights. Existing files are overwritten; use
 * ensureDevModel for a shared location.
 */
export async function makeDevModel(options: DevModelOptions): Promise<void> {
  await writeDevModel(validateDevModelOptions(options));
}

/** makeDevModel for options already validated (ensureDevModel passes the union of the dtypes a directory needs). */
export async function writeDevModel(options: ValidDevModelOptions): Promise<void> {
  const { dir, size, seed, dtypes, poison, fp16Io, imageSize, family } = options;
  const own = DEV_MODEL_SIZES[size];
  const grid = own.vision.imageSize / own.vision.patchSize;
  const spec = imageSize ? { ...own, vision: { ...own.vision, imageSize, patchSize: imageSize / grid } } : own;
  const siglip2 = family === 'siglip2';
  const vocabSize = siglip2 ? Object.keys(gemmaDevVocabulary().vocab).length : devVocabulary().length;
  const modelId = `${devModelId(size, poison, family)}${imageSize ? `-${imageSize}px` : ''}`;
  const docString = `${modelId} seed ${seed}: random weights, generated for development; its embeddings mean nothing`;
  try {
    await mkdir(join(dir, 'onnx'), { recursive: true });
    const header = { seed, producerVersion: String(DEV_MODEL_FORMAT_VERSION), docString };
    const onnxFiles: string[] = [];
    let visionParameters = 0;
    let textParameters = 0;
    for (const dtype of dtypes) {
      const precision = (graph: GraphBuilder) => (dtype === 'fp16' ? toHalfPrecision(graph, fp16Io) : graph);
      visionParameters = await writeOnnxModel(
        join(dir, towerFile('vision_model', dtype)),
        precision(buildVisionGraph(spec.vision, { poison })),
        header,
      );
      textParameters = await writeOnnxModel(
        join(dir, towerFile('text_model', dtype)),
        precision(buildTextGraph({ ...spec.text, vocabSize })),
        header,
      );
      onnxFiles.push(towerFile('vision_model', dtype), towerFile('text_model', dtype));
    }
    const jsonFiles: Record<string, unknown> = {
      ...(siglip2
        ? {
            'config.json': siglip2ConfigJson(modelId, spec, vocabSize),
            'preprocessor_config.json': siglip2PreprocessorConfigJson(spec),
            ...gemmaDevTokenizerFiles(),
          }
        : {
            'config.json': siglipConfigJson(modelId, spec, vocabSize),
            'preprocessor_config.json': siglipPreprocessorConfigJson(spec),
            ...devTokenizerFiles(),
          }),
    };
    for (const [name, content] of Object.entries(jsonFiles))
      await writeFile(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);

    const files: Record<string, number> = {};
    for (const name of [...onnxFiles, ...Object.keys(jsonFiles)]) files[name] = (await stat(join(dir, name))).size;
    const marker: DevModelMarker = {
      generator: DEV_MODEL_GENERATOR,
      formatVersion: DEV_MODEL_FORMAT_VERSION,
      warning: 'GENERATED DEV MODEL with random weights: its embeddings mean nothing. Never use it for real data.',
      modelId,
      size,
      seed,
      dtypes,
      ...(poison ? { poison } : {}),
      ...(fp16Io ? { fp16Io } : {}),
      ...(imageSize ? { imageSize } : {}),
      ...(family ? { family } : {}),
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
