import { CONFIG_FILE, PREPROCESSOR_FILE, TOKENIZER_FILES, onnxFileFor } from './model-files';
import type { ResolvedModel } from './resolve-model';

/**
 * The files (relative to the model directory) a model of this dtype cannot run without: its config,
 * its preprocessor and its vision tower, and with `text` the text tower and its tokenizer too.
 */
export function requiredModelFiles(model: Pick<ResolvedModel, 'dtype'>, options: { text: boolean }): string[] {
  const vision = [CONFIG_FILE, PREPROCESSOR_FILE, onnxFileFor('vision_model', model.dtype)];
  return options.text ? [...vision, onnxFileFor('text_model', model.dtype), ...TOKENIZER_FILES] : vision;
}
