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
