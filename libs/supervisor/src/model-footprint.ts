import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { estimateActivationBytesPerImage, type VisionTowerShape } from '@vectorizer/devices';
import type { ResolvedModel } from '@vectorizer/embedder';
import { VectorizerError } from '@vectorizer/errors';

export interface ModelFootprint {
  /** The vision ONNX file plus its external-data files. */
  modelBytes: number;
  activationBytesPerImage: number;
}

/**
 * What one worker needs in VRAM for this model, from the model's own files: the vision tower's
 * size on disk, and an activation estimate from config.json's vision_config (devices lib formula).
 */
export async function modelFootprint(model: ResolvedModel): Promise<ModelFootprint> {
  const configFile = join(model.dir, 'config.json');
  const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  const vision = (config.vision_config ?? config) as Record<string, unknown>;
  const number = (key: string, fallback?: number): number => {
    const value = vision[key] ?? fallback;
    if (typeof value !== 'number' || !(value > 0)) {
      throw new VectorizerError(
        'MODEL_CONFIG_INVALID',
        `${configFile} has no vision_config.${key}, needed to size batches`,
        {
          hint: 'use a SigLIP/CLIP export whose config.json describes the vision tower, or set BATCH_SIZE to skip the estimate',
        },
      );
    }
    return value;
  };
  const hiddenSize = number('hidden_size');
  const shape: VisionTowerShape = {
    hiddenSize,
    intermediateSize: number('intermediate_size', hiddenSize * 4),
    numAttentionHeads: number('num_attention_heads'),
    imageSize: number('image_size', model.preprocessor.size.height),
    patchSize: number('patch_size'),
    bytesPerElement: model.dtype === 'fp16' ? 2 : 4,
  };
  return {
    modelBytes: await onnxBytes(model.visionModelPath),
    activationBytesPerImage: estimateActivationBytesPerImage(shape),
  };
}

async function onnxBytes(modelPath: string): Promise<number> {
  const name = basename(modelPath);
  const dir = dirname(modelPath);
  // "vision_model.onnx" and its external data ("vision_model.onnx_data", "vision_model.onnx.data").
  const files = (await readdir(dir)).filter(
    (file) => file === name || file.startsWith(`${name}_`) || file.startsWith(`${name}.`),
  );
  const sizes = await Promise.all(files.map(async (file) => (await stat(join(dir, file))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}
