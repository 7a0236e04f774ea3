import { EmbedderError } from '../errors';

/** ONNX weight precision; the file suffixes follow the Optimum / transformers.js export layout. */
export type ModelDtype = 'fp32' | 'fp16' | 'q8';

const DTYPE_SUFFIX: Record<ModelDtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized' };

/** `value` as a dtype, or MODEL_CONFIG_INVALID naming the ones there are. */
export function parseModelDtype(value: string): ModelDtype {
  if (!Object.prototype.hasOwnProperty.call(DTYPE_SUFFIX, value)) {
    throw new EmbedderError('MODEL_CONFIG_INVALID', `Unknown dtype "${value}"`, {
      hint: `Use --dtype ${Object.keys(DTYPE_SUFFIX).join(', ')}.`,
    });
  }
  return value as ModelDtype;
}

/** Path (relative to the model directory) of one tower's ONNX file for a dtype, e.g. onnx/vision_model_fp16.onnx. */
export function onnxFileFor(tower: 'vision_model' | 'text_model', dtype: ModelDtype): string {
  return `onnx/${tower}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** Weights over 2 GB live next to the graph as `<file>.onnx_data`; ORT finds them by that name. */
export function externalDataFileFor(onnxFile: string): string {
  return `${onnxFile}_data`;
}

export const CONFIG_FILE = 'config.json';
export const PREPROCESSOR_FILE = 'preprocessor_config.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const TOKENIZER_FILES = ['tokenizer.json', TOKENIZER_CONFIG_FILE] as const;
/** Optional tokenizer companions some exports ship (SentencePiece models, special tokens). */
export const OPTIONAL_TOKENIZER_FILES = ['special_tokens_map.json', 'spiece.model'] as const;
export const MANIFEST_FILE = 'vectorizer-manifest.json';
