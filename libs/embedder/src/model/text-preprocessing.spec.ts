import { summarizeModelConfig } from './model-config';
import { summarizeTextPreprocessing } from './text-preprocessing';

/**
 * The config files as the real exports ship them (fields abridged to those read): transformers
 * writes only what differs from its config classes' defaults, so base-sized models state almost nothing.
 */
const SIGLIP2_BASE_CONFIG = {
  model_type: 'siglip',
  text_config: { model_type: 'siglip_text_model', vocab_size: 256000 },
  vision_config: { model_type: 'siglip_vision_model' },
};
const SIGLIP2_SO400M_CONFIG = {
  model_type: 'siglip',
  text_config: { hidden_size: 1152, intermediate_size: 4304, model_type: 'siglip_text_model', vocab_size: 256000 },
  vision_config: { hidden_size: 1152, image_size: 384, model_type: 'siglip_vision_model', patch_size: 14 },
};
const SIGLIP2_TOKENIZER_CONFIG = {
  add_bos_token: false,
  add_eos_token: true,
  bos_token: '<bos>',
  eos_token: '<eos>',
  model_max_length: 1e30,
  pad_token: '<pad>',
  padding_side: 'right',
  tokenizer_class: 'GemmaTokenizer',
};
const SIGLIP1_TOKENIZER_CONFIG = {
  do_lower_case: true,
  eos_token: '</s>',
  model_max_length: 64,
  pad_token: '</s>',
  tokenizer_class: 'SiglipTokenizer',
};

describe('model config defaults and text preprocessing', () => {
  it('fills the fields a base-sized export leaves out with the transformers class defaults', () => {
    expect(summarizeModelConfig(SIGLIP2_BASE_CONFIG, 'config.json')).toMatchObject({
      dimension: 768,
      textMaxLength: 64,
    });
    expect(summarizeModelConfig(SIGLIP2_SO400M_CONFIG, 'config.json')).toMatchObject({
      dimension: 1152,
      textMaxLength: 64,
    });
    expect(summarizeModelConfig({ model_type: 'siglip' }, 'config.json')).toMatchObject({
      dimension: 768,
      textMaxLength: 64,
    });
    expect(summarizeModelConfig({ model_type: 'siglip_vision_model' }, 'config.json').dimension).toBe(768);
    // Another family must state its numbers.
    expect(() => summarizeModelConfig({ vision_config: { model_type: 'other' } }, 'config.json')).toThrow(
      /no vision_config.hidden_size/,
    );
  });

  it('SigLIP 2: 64 tokens from the model config (the tokenizer says 1e30), <pad>, lower-cased', () => {
    expect(summarizeTextPreprocessing(SIGLIP2_BASE_CONFIG, SIGLIP2_TOKENIZER_CONFIG)).toMatchObject({
      maxLength: 64,
      padToken: '<pad>',
      paddingSide: 'right',
      lowercase: true,
    });
  });

  it('SigLIP 1: </s> padding and do_lower_case, as its tokenizer_config says', () => {
    const config = { model_type: 'siglip', text_config: { model_type: 'siglip_text_model' }, vision_config: {} };
    expect(summarizeTextPreprocessing(config, SIGLIP1_TOKENIZER_CONFIG)).toMatchObject({
      maxLength: 64,
      padToken: '</s>',
      lowercase: true,
      sources: { lowercase: 'tokenizer_config.json do_lower_case' },
    });
  });

  it('falls back to a finite model_max_length, and refuses when nothing states the length', () => {
    const visionOnly = { hidden_size: 64 };
    expect(summarizeTextPreprocessing(visionOnly, SIGLIP1_TOKENIZER_CONFIG).maxLength).toBe(64);
    expect(() => summarizeTextPreprocessing(visionOnly, SIGLIP2_TOKENIZER_CONFIG)).toThrow(/text length is unknown/);
    expect(() =>
      summarizeTextPreprocessing(SIGLIP2_BASE_CONFIG, {
        ...SIGLIP2_TOKENIZER_CONFIG,
        pad_token: null,
        eos_token: null,
      }),
    ).toThrow(/neither a pad_token nor an eos_token/);
  });
});
