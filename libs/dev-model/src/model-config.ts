import { DevModelSpec } from './dev-model-sizes';
import { DEV_TOKENIZER_EOS_ID, DEV_TOKENIZER_PAD_ID } from './tokenizer';

const HIDDEN_ACT = 'gelu_pytorch_tanh';

/** config.json as transformers writes it for a SiglipModel. */
export function siglipConfigJson(modelId: string, spec: DevModelSpec, vocabSize: number): Record<string, unknown> {
  const { vision, text } = spec;
  return {
    _name_or_path: modelId,
    architectures: ['SiglipModel'],
    initializer_factor: 1.0,
    model_type: 'siglip',
    text_config: {
      attention_dropout: 0.0,
      eos_token_id: DEV_TOKENIZER_EOS_ID,
      hidden_act: HIDDEN_ACT,
      hidden_size: text.hiddenSize,
      intermediate_size: text.intermediateSize,
      layer_norm_eps: text.layerNormEps,
      max_position_embeddings: text.maxPositionEmbeddings,
      model_type: 'siglip_text_model',
      num_attention_heads: text.numHeads,
      num_hidden_layers: text.numLayers,
      pad_token_id: DEV_TOKENIZER_PAD_ID,
      projection_size: text.projectionSize,
      vocab_size: vocabSize,
    },
    torch_dtype: 'float32',
    transformers_version: '4.47.0',
    vision_config: {
      attention_dropout: 0.0,
      hidden_act: HIDDEN_ACT,
      hidden_size: vision.hiddenSize,
      image_size: vision.imageSize,
      intermediate_size: vision.intermediateSize,
      layer_norm_eps: vision.layerNormEps,
      model_type: 'siglip_vision_model',
      num_attention_heads: vision.numHeads,
      num_channels: vision.numChannels,
      num_hidden_layers: vision.numLayers,
      patch_size: vision.patchSize,
    },
  };
}

/** preprocessor_config.json exactly as SigLIP ships it: bicubic resize, /255, normalize to [-1, 1]. */
export function siglipPreprocessorConfigJson(spec: DevModelSpec): Record<string, unknown> {
  return {
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_processor_type: 'SiglipImageProcessor',
    image_std: [0.5, 0.5, 0.5],
    processor_class: 'SiglipProcessor',
    resample: 3,
    rescale_factor: 1 / 255,
    size: { height: spec.vision.imageSize, width: spec.vision.imageSize },
  };
}

/**
 * config.json as the SigLIP 2 FixRes checkpoints ship it (google/siglip2-*, onnx-community/siglip2-*-ONNX):
 * model_type `siglip` (FixRes is SigLIP-compatible) and only the fields that differ from
 * SiglipTextConfig's defaults — so no max_position_embeddings (the dev sizes use the default, 64)
 * and no pad_token_id / eos_token_id (the class default pad id 1 is Gemma's `<eos>`; the tokenizer
 * pads with `<pad>`, id 0, which is what a reader must use).
 */
export function siglip2ConfigJson(modelId: string, spec: DevModelSpec, vocabSize: number): Record<string, unknown> {
  const full = siglipConfigJson(modelId, spec, vocabSize);
  const text = { ...(full.text_config as Record<string, unknown>) };
  for (const defaulted of ['max_position_embeddings', 'pad_token_id', 'eos_token_id']) delete text[defaulted];
  return { ...full, text_config: text, transformers_version: '4.49.0' };
}

/** SigLIP 2's preprocessor_config.json: like SigLIP's, but a bilinear resize (resample 2). */
export function siglip2PreprocessorConfigJson(spec: DevModelSpec): Record<string, unknown> {
  return { ...siglipPreprocessorConfigJson(spec), resample: 2 };
}
