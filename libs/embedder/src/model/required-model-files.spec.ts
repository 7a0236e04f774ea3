import { requiredModelFiles } from './required-model-files';

describe('requiredModelFiles', () => {
  it('names the config, the preprocessor and the vision tower of the dtype', () => {
    expect(requiredModelFiles({ dtype: 'fp16' }, { text: false })).toEqual([
      'config.json',
      'preprocessor_config.json',
      'onnx/vision_model_fp16.onnx',
    ]);
  });

  it('adds the text tower of the dtype and its tokenizer with text', () => {
    expect(requiredModelFiles({ dtype: 'q8' }, { text: true })).toEqual([
      'config.json',
      'preprocessor_config.json',
      'onnx/vision_model_quantized.onnx',
      'onnx/text_model_quantized.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
  });
});
