import { onnx } from 'onnx-proto';
import { GraphBuilder } from './graph-builder';
import { EncoderDims, WEIGHT_STD, encoder, layerNorm, mlp, multiHeadAttention } from './transformer-layers';

export interface VisionDims extends EncoderDims {
  imageSize: number;
  patchSize: number;
  numChannels: number;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

export function numPatches(dims: VisionDims): number {
  return (dims.imageSize / dims.patchSize) ** 2;
}

/**
 * A deliberately broken model for fault tests: `black` makes pooler_output NaN for an image whose
 * mean pixel value is below 0.5/255 (in practice: all black) and leaves every other image's
 * embedding as the clean model's (only its length changes, which L2 normalization removes).
 */
export type DevModelPoison = 'black';

/** Normalized SigLIP pixels lie in [-1, 1]; all black is exactly -1. Below this mean, the poison fires. */
const POISON_MEAN_THRESHOLD = -1 + (2 * 0.5) / 255;

/**
 * The SigLIP vision tower (SiglipVisionTransformer): patch embedding + position embedding, the
 * pre-LN encoder, post_layernorm (→ last_hidden_state) and the attention-pooling head (→ pooler_output).
 */
export function buildVisionGraph(dims: VisionDims, options: { poison?: DevModelPoison } = {}): GraphBuilder {
  const g = new GraphBuilder('siglip_vision_model');
  const { hiddenSize, patchSize, imageSize, numChannels } = dims;
  const patches = numPatches(dims);
  const pixels = g.input('pixel_values', FLOAT, ['batch_size', numChannels, imageSize, imageSize]);

  // Patch embedding: a stride=kernel Conv, then [B, C, h, w] → [B, C, N] → [B, N, C].
  const convWeight = g.weight(
    'vision_model.embeddings.patch_embedding.weight',
    [hiddenSize, numChannels, patchSize, patchSize],
    {
      kind: 'normal',
      std: WEIGHT_STD,
    },
  );
  const convBias = g.weight('vision_model.embeddings.patch_embedding.bias', [hiddenSize], {
    kind: 'normal',
    std: WEIGHT_STD,
  });
  const patchGrid = g.node('Conv', [pixels, convWeight, convBias], {
    output: 'vision_model.embeddings/patch_grid',
    attributes: { kernel_shape: { ints: [patchSize, patchSize] }, strides: { ints: [patchSize, patchSize] } },
  });
  const flat = g.node(
    'Reshape',
    [patchGrid, g.constInt64('vision_model.embeddings/flatten_shape', [0, hiddenSize, patches])],
    {
      output: 'vision_model.embeddings/patches_flat',
    },
  );
  const tokens = g.node('Transpose', [flat], {
    output: 'vision_model.embeddings/patch_tokens',
    attributes: { perm: { ints: [0, 2, 1] } },
  });
  const positions = g.weight('vision_model.embeddings.position_embedding.weight', [patches, hiddenSize], {
    kind: 'normal',
    std: WEIGHT_STD,
  });
  const embedded = g.node('Add', [tokens, positions], { output: 'vision_model.embeddings/output' });

  const encoded = encoder(g, embedded, dims, 'vision_model.encoder');
  const lastHidden = layerNorm(g, encoded, hiddenSize, dims.layerNormEps, 'vision_model.post_layernorm');
  g.output(lastHidden, 'last_hidden_state', FLOAT, ['batch_size', patches, hiddenSize]);
  const pooled = attentionPoolingHead(g, lastHidden, dims);
  const pooledOutput = options.poison === 'black' ? poisonBlackImages(g, pixels, pooled) : pooled;
  g.output(pooledOutput, 'pooler_output', FLOAT, ['batch_size', hiddenSize]);
  return g;
}

/** pooled × sqrt(mean(pixels) − threshold), per image: NaN (sqrt of a negative) exactly for near-black images. */
function poisonBlackImages(g: GraphBuilder, pixels: string, pooled: string): string {
  const prefix = 'vision_model.poison';
  const mean = g.node('ReduceMean', [pixels], {
    output: `${prefix}/pixel_mean`,
    attributes: { axes: { ints: [1, 2, 3] }, keepdims: { int: 0 } },
  }); // [B]
  const shifted = g.node('Sub', [mean, g.constFloat(`${prefix}/threshold`, [POISON_MEAN_THRESHOLD])], {
    output: `${prefix}/shifted`,
  });
  const factor = g.node(
    'Unsqueeze',
    [g.node('Sqrt', [shifted], { output: `${prefix}/root` }), g.constInt64(`${prefix}/axis`, [1])],
    {
      output: `${prefix}/factor`,
    },
  ); // [B, 1]
  return g.node('Mul', [pooled, factor], { output: `${prefix}/output` });
}

/**
 * SiglipMultiheadAttentionPoolingHead: a learned probe token attends over all patch tokens; the
 * result goes through LayerNorm + MLP with a residual, and token 0 of that is the image embedding.
 */
function attentionPoolingHead(g: GraphBuilder, hidden: string, dims: VisionDims): string {
  const prefix = 'vision_model.head';
  const probe = g.weight(`${prefix}.probe`, [1, 1, dims.hiddenSize], { kind: 'normal', std: WEIGHT_STD });
  const attended = multiHeadAttention(
    g,
    probe,
    hidden,
    dims,
    {
      query: `${prefix}.attention.in_proj_q`,
      key: `${prefix}.attention.in_proj_k`,
      value: `${prefix}.attention.in_proj_v`,
      out: `${prefix}.attention.out_proj`,
    },
    `${prefix}/attention`,
  ); // [B, 1, C]
  const normed = layerNorm(g, attended, dims.hiddenSize, dims.layerNormEps, `${prefix}.layernorm`);
  const pooled = g.node('Add', [attended, mlp(g, normed, dims, `${prefix}.mlp`)], {
    output: `${prefix}/pooled_tokens`,
  });
  return g.node('Gather', [pooled, g.constInt64(`${prefix}/first_token`, [0], [])], {
    output: `${prefix}/output`,
    attributes: { axis: { int: 1 } },
  });
}
