import { join } from 'node:path';

/**
 * Where tests keep the generated tiny dev model (<repo>/tmp, ignored by git): one copy, generated
 * on first use by `ensureDevModel`, shared by every test file.
 */
export const DEV_TINY_MODEL_DIR = join(__dirname, '..', '..', '..', 'tmp', 'models', 'dev-tiny');

/** Every file a fp32 SigLIP model directory holds, as the dev model generator and the hub download write it. */
export const SIGLIP_FP32_FILES = [
  'config.json',
  'onnx/text_model.onnx',
  'onnx/vision_model.onnx',
  'preprocessor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;

/** The parts of @vectorizer/dev-model and @vectorizer/embedder the tiny dev model is made and resolved with. */
export interface DevModelTools<Model> {
  ensureDevModel(options: { dir: string; size: 'tiny'; poison?: 'black' }): Promise<unknown>;
  resolveModel(options: { modelDir: string; dtype: 'fp32'; devModelSize: 'tiny' }): Promise<Model>;
}

/**
 * The tiny dev model, resolved (generated on first use). `poison: 'black'` gives its variant whose
 * vector is NaN for an all-black image (a model that breaks on one input).
 */
export async function devTinyModel<Model>(tools: DevModelTools<Model>, poison?: 'black'): Promise<Model> {
  const dir = poison ? `${DEV_TINY_MODEL_DIR}-poison-${poison}` : DEV_TINY_MODEL_DIR;
  await tools.ensureDevModel({ dir, size: 'tiny', ...(poison ? { poison } : {}) });
  return tools.resolveModel({ modelDir: dir, dtype: 'fp32', devModelSize: 'tiny' });
}
