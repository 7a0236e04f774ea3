import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEV_MODEL_GENERATOR, DEV_MODEL_MARKER_FILE } from '@vectorizer/images';
import { DevModelError } from './dev-model-error';
import { DevModelSize } from './dev-model-sizes';

/** Bump when the generated files change, so existing dev models are regenerated. */
export const DEV_MODEL_FORMAT_VERSION = 2;

/**
 * Contents of vectorizer-dev.json, written last: its presence means the directory is a complete
 * generated dev model. Model loaders read it to warn loudly that embeddings mean nothing.
 */
export interface DevModelMarker {
  generator: typeof DEV_MODEL_GENERATOR;
  formatVersion: number;
  warning: string;
  modelId: string;
  size: DevModelSize;
  seed: number;
  /** Precisions present (onnx/*_fp16.onnx beside the fp32 files); absent in markers before fp16 existed. */
  dtypes?: ('fp32' | 'fp16')[];
  poison?: 'black';
  /** Present for the SigLIP 2-shaped variant (Gemma tokenizer). */
  family?: 'siglip2';
  /** Present when the fp16 files take and return float16 (Optimum's layout). */
  fp16Io?: 'float16';
  /** Present when the input side differs from the size's own (DevModelOptions.imageSize). */
  imageSize?: number;
  dimension: number;
  visionParameters: number;
  textParameters: number;
  visionGflopsPerImage: number;
  /** Every generated file with its byte size, to tell a complete model from a damaged one. */
  files: Record<string, number>;
}

/** The marker of `dir`, or undefined when the directory holds no generated dev model. */
export async function readDevModelMarker(dir: string): Promise<DevModelMarker | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, DEV_MODEL_MARKER_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw error;
  }
  let marker: Partial<DevModelMarker>;
  try {
    marker = JSON.parse(text) as Partial<DevModelMarker>;
  } catch (error) {
    throw new DevModelError('DEV_MODEL_DIR_CONFLICT', `${join(dir, DEV_MODEL_MARKER_FILE)} is not valid JSON`, {
      hint: `delete ${dir} so the dev model is generated again`,
      cause: error,
    });
  }
  return marker.generator === DEV_MODEL_GENERATOR ? (marker as DevModelMarker) : undefined;
}

/** Whether every file the marker lists is present with its recorded size. */
export async function devModelFilesIntact(dir: string, marker: DevModelMarker): Promise<boolean> {
  for (const [name, size] of Object.entries(marker.files ?? {})) {
    const actual = await stat(join(dir, name)).catch(() => undefined);
    if (!actual || actual.size !== size) return false;
  }
  return Object.keys(marker.files ?? {}).length > 0;
}
