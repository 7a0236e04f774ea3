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
